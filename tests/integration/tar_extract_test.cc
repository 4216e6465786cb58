// Tar archives on a real filesystem: an archive made by the system's tar (ustar, GNU and
// pax formats) comes out with the same contents and modes; a symlink planted in the target
// (as a sandbox could leave in a workspace) is never followed; an existing file is never
// overwritten. No root needed: the property is openat2's, checked from the outside.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "archive/extract.h"
#include "archive/tar.h"
#include "base/unique_fd.h"
#include "harness.h"

namespace cordon::testing {
namespace {

namespace fs = std::filesystem;
using archive::TarEntry;

void write(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::binary) << text;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

UniqueFd open_dir(const std::string& path) {
  return UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

TarEntry file_entry(const std::string& path, std::string_view data, uint32_t mode = 0644) {
  return TarEntry{path, TarEntry::Type::kFile, mode, data};
}

// A source tree with a bit of everything the parser accepts.
void make_tree(const std::string& src, const std::string& long_dir) {
  ASSERT_TRUE(fs::create_directories(src + "/sub/deeper"));
  ASSERT_TRUE(fs::create_directories(src + "/" + long_dir));
  write(src + "/plain.txt", "plain\n", 0644);
  write(src + "/run.sh", "#!/bin/sh\necho hi\n", 0755);
  write(src + "/secret", "s", 0600);
  write(src + "/empty", "", 0640);
  write(src + "/sub/deeper/big.bin", std::string(100000, 'b') + "end", 0444);
  write(src + "/" + long_dir + "/inside-a-long-name", "long", 0644);
  ASSERT_EQ(::chmod((src + "/sub").c_str(), 0750), 0);
  ASSERT_EQ(::chmod((src + "/sub/deeper").c_str(), 0555), 0);  // filled after creation
}

class TarExtract : public ::testing::TestWithParam<std::string> {};

TEST_P(TarExtract, ArchiveFromRealTarComesOutTheSame) {
  TempDir tmp;
  const std::string src = tmp.path() + "/src", dst = tmp.path() + "/dst";
  const std::string long_dir = std::string(90, 'L') + "/" + std::string(60, 'M');
  make_tree(src, long_dir);
  ASSERT_TRUE(fs::create_directory(dst));
  const std::string tarball = tmp.path() + "/in.tar";
  RunOut r =
      run_program({"/usr/bin/tar", "--format=" + GetParam(), "-C", src, "-cf", tarball, "."});
  ASSERT_EQ(r.status, 0) << r.err;

  std::string bytes = read_file(tarball);
  auto entries = archive::parse_tar(bytes);
  ASSERT_TRUE(entries.ok()) << entries.error().to_string();
  UniqueFd dir = open_dir(dst);
  ASSERT_TRUE(dir.valid());
  Status st = archive::extract(dir.get(), entries.value());
  ASSERT_TRUE(st.ok()) << st.error().to_string();

  size_t seen = 0;
  for (const auto& e : fs::recursive_directory_iterator(src)) {
    ++seen;
    const std::string rel = fs::relative(e.path(), src).string();
    const std::string out = dst + "/" + rel;
    EXPECT_EQ(mode_of(out), mode_of(e.path())) << rel;
    if (e.is_regular_file()) {
      EXPECT_EQ(read_file(out), read_file(e.path())) << rel;
    } else {
      EXPECT_TRUE(fs::is_directory(out)) << rel;
    }
  }
  EXPECT_EQ(seen, 10u);
  size_t made = 0;
  for (auto it = fs::recursive_directory_iterator(dst); it != fs::recursive_directory_iterator();
       ++it)
    ++made;
  EXPECT_EQ(made, seen);
  // Writable again, so that TempDir can remove the trees when the test is not root.
  for (const std::string& root : {src, dst}) ::chmod((root + "/sub/deeper").c_str(), 0755);
}

// The longest name (170 bytes) needs, in ustar, the prefix field; in gnu, 'L' headers; in
// posix, pax records.
INSTANTIATE_TEST_SUITE_P(Formats, TarExtract, ::testing::Values("ustar", "gnu", "posix"));

TEST(TarExtractSafety, PlantedSymlinkIsNotFollowed) {
  TempDir tmp;
  const std::string dst = tmp.path() + "/dst", outside = tmp.path() + "/outside";
  ASSERT_TRUE(fs::create_directory(dst));
  ASSERT_TRUE(fs::create_directory(outside));
  write(outside + "/victim", "untouched", 0644);
  const mode_t outside_mode = mode_of(outside);
  ASSERT_EQ(::symlink(outside.c_str(), (dst + "/evil").c_str()), 0);
  ASSERT_EQ(::symlink((outside + "/victim").c_str(), (dst + "/link-to-file").c_str()), 0);
  ASSERT_EQ(::symlink("inside", (dst + "/relative").c_str()), 0);  // even one that stays in
  ASSERT_TRUE(fs::create_directory(dst + "/inside"));
  UniqueFd dir = open_dir(dst);
  ASSERT_TRUE(dir.valid());

  struct Case {
    std::vector<TarEntry> entries;
    int err;
  };
  std::vector<Case> cases = {
      {{file_entry("evil/x", "payload")}, ELOOP},
      {{file_entry("evil/victim", "payload")}, ELOOP},
      {{{"evil/newdir", TarEntry::Type::kDir, 0755, {}}}, ELOOP},
      {{{"evil", TarEntry::Type::kDir, 0777, {}}}, ELOOP},  // the final chmod refuses it
      {{file_entry("link-to-file", "payload")}, EEXIST},
      {{file_entry("relative/x", "payload")}, ELOOP},
  };
  for (const Case& c : cases) {
    Status st = archive::extract(dir.get(), c.entries);
    ASSERT_FALSE(st.ok()) << c.entries[0].path;
    EXPECT_EQ(st.error().err, c.err) << st.error().to_string();
  }
  EXPECT_EQ(read_file(outside + "/victim"), "untouched");
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(outside)) left.push_back(e.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"victim"});
  EXPECT_TRUE(fs::is_empty(dst + "/inside"));
  EXPECT_TRUE(fs::is_symlink(dst + "/evil"));
  EXPECT_EQ(mode_of(outside), outside_mode);
}

TEST(TarExtractSafety, ExistingFileIsNotOverwritten) {
  TempDir tmp;
  const std::string dst = tmp.path() + "/dst";
  ASSERT_TRUE(fs::create_directories(dst + "/d"));
  write(dst + "/d/old", "old", 0600);
  UniqueFd dir = open_dir(dst);
  Status st = archive::extract(dir.get(), {file_entry("d/old", "new", 0777)});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().err, EEXIST) << st.error().to_string();
  EXPECT_EQ(st.error().path, "d/old");
  EXPECT_EQ(read_file(dst + "/d/old"), "old");
  EXPECT_EQ(mode_of(dst + "/d/old"), 0600u);
}

TEST(TarExtractSafety, PathsThatClimbOutFailBeneath) {
  // The parser refuses these; extract() is safe on its own as well.
  TempDir tmp;
  const std::string dst = tmp.path() + "/dst";
  ASSERT_TRUE(fs::create_directory(dst));
  UniqueFd dir = open_dir(dst);
  for (const std::string path : {"../escaped", "a/../../escaped", "/tmp/escaped-abs"}) {
    Status st = archive::extract(dir.get(), {file_entry(path, "x")});
    EXPECT_FALSE(st.ok()) << path;
  }
  EXPECT_FALSE(fs::exists(tmp.path() + "/escaped"));
  EXPECT_FALSE(fs::exists("/tmp/escaped-abs"));
}

TEST(TarExtractSafety, ModesAreExactWhateverTheUmask) {
  TempDir tmp;
  const std::string dst = tmp.path() + "/dst";
  ASSERT_TRUE(fs::create_directory(dst));
  UniqueFd dir = open_dir(dst);
  mode_t old = ::umask(0077);
  Status st = archive::extract(
      dir.get(), {file_entry("a/b/f", "x", 0666), {"a/b", TarEntry::Type::kDir, 0500, {}}});
  ::umask(old);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(mode_of(dst + "/a/b/f"), 0666u);
  EXPECT_EQ(mode_of(dst + "/a/b"), 0500u);
  EXPECT_EQ(mode_of(dst + "/a"), 0755u);                // a parent nobody listed
  ASSERT_EQ(::chmod((dst + "/a/b").c_str(), 0700), 0);  // so that TempDir can remove it
}

}  // namespace
}  // namespace cordon::testing
