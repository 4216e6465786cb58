// The tar parser on archives built here, byte by byte: what it accepts (ustar, GNU long
// names, pax paths and sizes, base-256 sizes) and every refusal, each for the reason named.
// Also the seeds of fuzz/corpus/tar (real archives made by GNU tar): good-* parse, bad-*
// are refused. (The seeds are the one thing read from the filesystem.)
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "archive/tar.h"
#include "corpus.h"

namespace cordon::archive {
namespace {

constexpr size_t kBlock = 512;

// An octal field of len bytes: len-1 digits and a NUL, as GNU tar writes them.
void put_octal(std::string& h, size_t off, size_t len, uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*llo", static_cast<int>(len - 1),
                static_cast<unsigned long long>(v));
  std::memcpy(&h[off], buf, len - 1);
  h[off + len - 1] = '\0';
}

void put_bytes(std::string& h, size_t off, std::string_view bytes) {
  if (bytes.empty()) return;  // memcpy's source must not be null, even for 0 bytes
  std::memcpy(&h[off], bytes.data(), bytes.size());
}

void fix_checksum(std::string& h) {
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);  // six digits, NUL, and the space left in place
}

enum class Magic { kPosix, kGnu, kNone };

// One header block with a correct checksum; fields the tests need, the rest zero.
std::string header(std::string_view name, char type, uint64_t size, uint32_t mode = 0644,
                   Magic magic = Magic::kPosix, std::string_view prefix = {}) {
  std::string h(kBlock, '\0');
  put_bytes(h, 0, name.substr(0, 100));
  put_octal(h, 100, 8, mode);
  put_octal(h, 108, 8, 1000);
  put_octal(h, 116, 8, 1000);
  put_octal(h, 124, 12, size);
  put_octal(h, 136, 12, 1700000000);
  h[156] = type;
  if (magic == Magic::kPosix)
    put_bytes(h, 257,
              std::string_view("ustar\0"
                               "00",
                               8));
  if (magic == Magic::kGnu) put_bytes(h, 257, std::string_view("ustar  \0", 8));
  put_bytes(h, 345, prefix);
  fix_checksum(h);
  return h;
}

std::string padded(std::string_view data) {
  std::string out(data);
  out.resize((data.size() + kBlock - 1) / kBlock * kBlock, '\0');
  return out;
}

std::string member(std::string_view name, char type, std::string_view data = {},
                   uint32_t mode = 0644) {
  return header(name, type, data.size(), mode) + padded(data);
}
std::string file(std::string_view name, std::string_view data, uint32_t mode = 0644) {
  return member(name, '0', data, mode);
}
std::string dir(std::string_view name, uint32_t mode = 0755) {
  return member(name, '5', {}, mode);
}
std::string gnu_long_name(std::string_view name) {
  std::string data(name);
  data.push_back('\0');
  return header("././@LongLink", 'L', data.size(), 0644, Magic::kGnu) + padded(data);
}
// A pax record: its length counts its own digits.
std::string pax_record(std::string_view key, std::string_view value) {
  std::string body = " " + std::string(key) + "=" + std::string(value) + "\n";
  size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  return std::to_string(len) + body;
}
std::string pax(std::string_view records, char type = 'x') {
  return header("./PaxHeaders/x", type, records.size()) + padded(records);
}
std::string end() {
  return std::string(2 * kBlock, '\0');
}

// The refusal's text, or "parsed" when the archive was accepted.
std::string refusal(const std::string& bytes, const TarLimits& limits = {}) {
  auto r = parse_tar(bytes, limits);
  return r.ok() ? "parsed" : r.error().to_string();
}

#define EXPECT_REFUSED(bytes, why)                          \
  do {                                                      \
    std::string text_ = refusal(bytes);                     \
    EXPECT_NE(text_.find(why), std::string::npos) << text_; \
  } while (0)

TEST(Tar, FilesAndDirectories) {
  const std::string archive1_ = dir("d/", 0750) + file("d/a", "hello", 0640) + file("b", "") +
                                end();  // outlives the views into it
  auto r = parse_tar(archive1_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].path, "d");
  EXPECT_EQ((*r)[0].type, TarEntry::Type::kDir);
  EXPECT_EQ((*r)[0].mode, 0750u);
  EXPECT_EQ((*r)[1].path, "d/a");
  EXPECT_EQ((*r)[1].type, TarEntry::Type::kFile);
  EXPECT_EQ((*r)[1].mode, 0640u);
  EXPECT_EQ((*r)[1].data, "hello");
  EXPECT_EQ((*r)[2].path, "b");
  EXPECT_EQ((*r)[2].data, "");
}

TEST(Tar, OldStyleFileTypeAndBigData) {
  std::string big(3 * kBlock + 7, 'x');
  const std::string archive2_ =
      member("f", '\0', big) + file("g", "y") + end();  // outlives the views into it
  auto r = parse_tar(archive2_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].data, big);
  EXPECT_EQ((*r)[1].data, "y");
}

TEST(Tar, EmptyArchives) {
  for (const std::string& bytes :
       {std::string(), end(), end() + end(), std::string(kBlock, '\0')}) {
    auto r = parse_tar(bytes);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_TRUE(r->empty());
  }
}

TEST(Tar, EndsAtTwoZeroBlocksOrTheEndOfInput) {
  const std::string archive3_ =
      file("a", "1") + end() + "anything after the end is not read";  // outlives the views into it
  auto r = parse_tar(archive3_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->size(), 1u);
  const std::string archive4_ = file("a", "1");  // outlives the views into it
  r = parse_tar(archive4_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->size(), 1u);
}

TEST(Tar, NormalizesPathsAndDropsTheRoot) {
  const std::string archive5_ =
      dir("./") + dir("./a//b/./") + file("./a//b/./c", "x") + end();  // outlives the views into it
  auto r = parse_tar(archive5_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].path, "a/b");
  EXPECT_EQ((*r)[1].path, "a/b/c");
}

TEST(Tar, UstarPrefix) {
  std::string h = header("name", '0', 1, 0644, Magic::kPosix, "some/prefix");
  const std::string archive6_ = h + padded("z") + end();  // outlives the views into it
  auto r = parse_tar(archive6_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].path, "some/prefix/name");
  // In a GNU header those bytes are not a prefix.
  h = header("name", '0', 1, 0644, Magic::kGnu, "not/a/prefix");
  const std::string archive7_ = h + padded("z") + end();  // outlives the views into it
  r = parse_tar(archive7_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].path, "name");
}

TEST(Tar, GnuLongName) {
  std::string longname = std::string(150, 'a') + "/" + std::string(150, 'b');
  const std::string archive8_ = gnu_long_name(longname) + file(longname.substr(0, 100), "data") +
                                end();  // outlives the views into it
  auto r = parse_tar(archive8_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].path, longname);
  EXPECT_EQ((*r)[0].data, "data");
}

TEST(Tar, PaxPathAndSize) {
  std::string longname = std::string(200, 'p') + "/file";
  // The header's size field says 0; the pax size (and so the data) is 5 bytes.
  std::string records =
      pax_record("mtime", "1700000000.5") + pax_record("path", longname) + pax_record("size", "5");
  std::string bytes = pax(records) + header("short", '0', 0) + padded("12345") + end();
  auto r = parse_tar(bytes);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].path, longname);
  EXPECT_EQ((*r)[0].data, "12345");
}

TEST(Tar, PaxAppliesToOneEntryAndGlobalHeadersAreSkipped) {
  std::string bytes = pax(pax_record("path", "ignored/global"), 'g') +
                      pax(pax_record("path", "renamed")) + file("first", "1") +
                      file("second", "2") + end();
  auto r = parse_tar(bytes);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].path, "renamed");
  EXPECT_EQ((*r)[1].path, "second");
}

TEST(Tar, ModesAreMaskedToPermissionBits) {
  auto r =
      parse_tar(file("suid", "", 04755) + file("all", "", 07777) + dir("sticky", 01777) + end());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].mode, 0755u);
  EXPECT_EQ((*r)[1].mode, 0777u);
  EXPECT_EQ((*r)[2].mode, 0777u);
}

TEST(Tar, Base256Size) {
  std::string h = header("f", '0', 0);
  std::string size(12, '\0');
  size[0] = static_cast<char>(0x80);
  size[11] = 3;
  put_bytes(h, 124, size);
  fix_checksum(h);
  const std::string archive9_ = h + padded("abc") + end();  // outlives the views into it
  auto r = parse_tar(archive9_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].data, "abc");
}

TEST(Tar, RefusesLinksDevicesAndFifos) {
  EXPECT_REFUSED(member("ln", '2') + end(), "symbolic links are not allowed");
  EXPECT_REFUSED(member("hard", '1') + end(), "hard links are not allowed");
  EXPECT_REFUSED(member("tty", '3') + end(), "character devices are not allowed");
  EXPECT_REFUSED(member("sda", '4') + end(), "block devices are not allowed");
  EXPECT_REFUSED(member("fifo", '6') + end(), "fifos are not allowed");
  EXPECT_REFUSED(header("././@LongLink", 'K', 0, 0644, Magic::kGnu) + end(), "long link names");
  EXPECT_REFUSED(member("sparse", 'S') + end(), "entry type 'S' is not supported");
  EXPECT_REFUSED(member("contig", '7') + end(), "entry type '7' is not supported");
}

TEST(Tar, RefusalNamesTheEntry) {
  const std::string archive10_ =
      file("fine", "") + member("dir/evil-link", '2') + end();  // outlives the views into it
  auto r = parse_tar(archive10_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().path, "dir/evil-link");
  EXPECT_EQ(r.error().step, "parse tar");
  // Also when the name came from a long-name header, and with its bytes made printable.
  const std::string archive11_ =
      gnu_long_name("long/\x01name") + member("x", '2') + end();  // outlives the views into it
  r = parse_tar(archive11_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().path, "long/\\x01name");
}

TEST(Tar, RefusesPathsThatLeave) {
  EXPECT_REFUSED(file("/etc/passwd", "x") + end(), "absolute path");
  EXPECT_REFUSED(file("../x", "x") + end(), "\"..\" component");
  EXPECT_REFUSED(file("a/../../x", "x") + end(), "\"..\" component");
  EXPECT_REFUSED(dir("a/..") + end(), "\"..\" component");
  EXPECT_REFUSED(gnu_long_name("/abs/long") + file("x", "") + end(), "absolute path");
  EXPECT_REFUSED(pax(pax_record("path", "ok/../../up")) + file("x", "") + end(), "\"..\"");
  EXPECT_REFUSED(file("", "x") + end(), "empty name");
  EXPECT_REFUSED(file(".", "x") + end(), "a file without a name");
  EXPECT_REFUSED(file("f/", "x") + end(), "file name ends in '/'");
}

TEST(Tar, RefusesNulInNames) {
  EXPECT_REFUSED(gnu_long_name(std::string("a\0b", 3)) + file("x", "") + end(), "NUL in name");
  EXPECT_REFUSED(pax(pax_record("path", std::string("a\0b", 3))) + file("x", "") + end(),
                 "NUL in name");
}

TEST(Tar, RefusesBadChecksum) {
  std::string m = file("a", "x");
  m[0] = 'b';  // the name changed, the checksum not
  EXPECT_REFUSED(m + end(), "bad header checksum");
  m = file("a", "x");
  put_bytes(m, 148, "zzzzzz");
  EXPECT_REFUSED(m + end(), "bad header checksum");
}

TEST(Tar, RefusesHeadersThatAreNotUstar) {
  EXPECT_REFUSED(header("v7", '0', 0, 0644, Magic::kNone) + end(), "not a ustar header");
}

TEST(Tar, RefusesTruncation) {
  EXPECT_REFUSED(file("a", "x").substr(0, 300), "truncated header");
  std::string data(2000, 'd');
  std::string m = file("a", data);
  EXPECT_REFUSED(m.substr(0, kBlock + 1000), "truncated data");
  EXPECT_REFUSED(m.substr(0, kBlock + 2000), "truncated data");  // padding cut
  EXPECT_REFUSED(file("a", "x") + std::string(100, '\0'), "truncated header");
}

TEST(Tar, RefusesBadSizeFields) {
  std::string h = header("f", '0', 0);
  put_bytes(h, 124, "0000000009a");
  fix_checksum(h);
  EXPECT_REFUSED(h + end(), "bad size field");
  // Base-256 beyond 64 bits, and negative.
  h = header("f", '0', 0);
  std::string size(12, '\x7f');
  size[0] = static_cast<char>(0x80);
  put_bytes(h, 124, size);
  fix_checksum(h);
  EXPECT_REFUSED(h + end(), "bad size field");
  h = header("f", '0', 0);
  put_bytes(h, 124, std::string(12, '\xff'));
  fix_checksum(h);
  EXPECT_REFUSED(h + end(), "bad size field");
  // The largest octal size: over the file limit, refused before the missing data is noticed.
  h = header("f", '0', 0);
  put_bytes(h, 124, "77777777777");
  fix_checksum(h);
  EXPECT_REFUSED(h + end(), "file larger than");
  EXPECT_REFUSED(pax(pax_record("size", "18446744073709551616")) + file("x", "") + end(),
                 "bad pax size");
  EXPECT_REFUSED(pax(pax_record("size", "-1")) + file("x", "") + end(), "bad pax size");
  EXPECT_REFUSED(member("d", '5', "data") + end(), "a directory with data");
}

TEST(Tar, RefusesBadPaxRecords) {
  EXPECT_REFUSED(pax("99 path=x\n") + file("x", "") + end(), "bad pax record length");
  EXPECT_REFUSED(pax("no length\n") + file("x", "") + end(), "bad pax record");
  EXPECT_REFUSED(pax("10 path=x;") + file("x", "") + end(), "without its newline");
  EXPECT_REFUSED(pax("9 =value\n") + file("x", "") + end(), "without a key");
  EXPECT_REFUSED(pax(pax_record("GNU.sparse.map", "0,1")) + file("x", "") + end(),
                 "sparse files are not supported");
}

TEST(Tar, RefusesExtendedHeadersWithoutOneEntry) {
  EXPECT_REFUSED(gnu_long_name("a") + gnu_long_name("b") + file("x", "") + end(),
                 "two extended headers");
  EXPECT_REFUSED(pax(pax_record("path", "a")) + gnu_long_name("b") + file("x", "") + end(),
                 "two extended headers");
  EXPECT_REFUSED(file("x", "") + gnu_long_name("dangling") + end(), "without an entry after it");
  EXPECT_REFUSED(file("x", "") + pax(pax_record("path", "dangling")), "without an entry after it");
}

TEST(Tar, RefusesALoneZeroBlockBeforeMoreData) {
  EXPECT_REFUSED(file("a", "") + std::string(kBlock, '\0') + file("hidden", "") + end(),
                 "a lone zero block");
}

TEST(Tar, RefusesDuplicatesAndFileDirectoryClashes) {
  EXPECT_REFUSED(file("a", "1") + file("a", "2") + end(), "duplicate path");
  EXPECT_REFUSED(file("./a", "1") + file("a", "2") + end(), "duplicate path");
  EXPECT_REFUSED(dir("d") + dir("d/") + end(), "duplicate path");
  EXPECT_REFUSED(file("a", "1") + file("a/b", "2") + end(), "which is a file");
  EXPECT_REFUSED(file("a/b/c", "1") + file("a", "2") + end(), "a file where");
  // A directory listed after its contents is fine.
  const std::string archive12_ =
      file("d/e/f", "1") + dir("d/e") + dir("d") + end();  // outlives the views into it
  auto r = parse_tar(archive12_);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
}

TEST(Tar, RefusesWhatIsOverALimit) {
  TarLimits limits;
  limits.max_entries = 2;
  EXPECT_NE(refusal(file("a", "") + file("b", "") + file("c", "") + end(), limits)
                .find("more than 2 entries"),
            std::string::npos);
  EXPECT_EQ(refusal(file("a", "") + dir("./") + file("b", "") + end(), limits), "parsed");

  limits = {};
  limits.max_file_bytes = 10;
  EXPECT_EQ(refusal(file("a", std::string(10, 'x')) + end(), limits), "parsed");
  EXPECT_NE(refusal(file("a", std::string(11, 'x')) + end(), limits).find("file larger than 10"),
            std::string::npos);

  limits = {};
  limits.max_total_bytes = 10;
  EXPECT_EQ(refusal(file("a", "12345") + file("b", "12345") + end(), limits), "parsed");
  EXPECT_NE(refusal(file("a", "12345") + file("b", "123456") + end(), limits)
                .find("larger than 10 bytes in all"),
            std::string::npos);

  limits = {};
  limits.max_path = 10;
  EXPECT_EQ(refusal(file("0123456789", "") + end(), limits), "parsed");
  EXPECT_NE(refusal(file("01234567890", "") + end(), limits).find("name longer than 10"),
            std::string::npos);
  // A long-name header over the limit is refused before its name is read.
  EXPECT_NE(refusal(gnu_long_name(std::string(20, 'n')) + file("x", "") + end(), limits)
                .find("long name longer than 10"),
            std::string::npos);

  limits = {};
  limits.max_depth = 2;
  EXPECT_EQ(refusal(file("a/b", "") + end(), limits), "parsed");
  EXPECT_NE(refusal(file("a/b/c", "") + end(), limits).find("deeper than 2"), std::string::npos);

  // The pax header's own size is bounded.
  EXPECT_REFUSED(pax(pax_record("comment", std::string(70000, 'c'))) + file("x", "") + end(),
                 "pax header larger than");
}

TEST(TarCorpus, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(CORDON_TAR_CORPUS)) << CORDON_TAR_CORPUS;
  int good = 0, bad = 0;
  // The corpus outlives the views into each archive.
  const auto corpus = cordon::testing::read_corpus(CORDON_TAR_CORPUS);
  for (const auto& [name, archive] : corpus) {
    auto r = parse_tar(archive);
    if (name.rfind("good-", 0) == 0) {
      ++good;
      ASSERT_TRUE(r.ok()) << name << ": " << r.error().to_string();
      EXPECT_FALSE(r->empty()) << name;
    } else if (name.rfind("bad-", 0) == 0) {
      ++bad;
      EXPECT_FALSE(r.ok()) << name << " parsed";
    }
  }
  EXPECT_GE(good, 3);
  EXPECT_GE(bad, 3);
}

}  // namespace
}  // namespace cordon::archive
