// cordon image from outside: the real cordon (which execs cordon-image) against a real
// store in a temp dir, on archives tests/integration/image_fixtures.py writes (a busybox
// rootfs, an OCI layout of two layers with a whiteout and an opaque dir, a docker save
// archive sharing the lower layer, a corrupt blob, a truncated tarball, hostile layers).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"
#include "image_fixture.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class Image : public ImageFixtureTest {
 protected:
  RunOut image(std::vector<std::string> args) {
    args.insert(args.begin(), "image");
    args.push_back("--store");
    args.push_back(store_);
    return run_cordon(args);
  }
  json image_json(std::vector<std::string> args) {
    args.push_back("--json");
    auto r = image(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return json::parse(r.out);
  }
  std::string fx(const std::string& name) const { return fixtures_ + "/" + name; }
  size_t count(const std::string& sub) const {
    if (!fs::exists(store_ + "/" + sub)) return 0;
    return static_cast<size_t>(std::distance(fs::directory_iterator(store_ + "/" + sub), {}));
  }
  // Nothing of a refused import kept: no blob, layer, image record, name or tmp entry.
  void expect_store_empty() {
    EXPECT_EQ(count("blobs/sha256"), 0u);
    EXPECT_EQ(count("layers/sha256"), 0u);
    EXPECT_EQ(count("images"), 0u);
    EXPECT_EQ(count("tmp"), 0u);
    EXPECT_EQ(image_json({"ls"}), json::array());
  }
};

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

TEST_F(Image, RootfsTarballsOfEachCompressionImportWithOwnersModesAndLinks) {
  for (const char* f : {"rootfs.tar.gz", "rootfs.tar.xz", "rootfs.tar.zst", "rootfs.tar"}) {
    if (!fs::exists(fx(f))) continue;
    auto r = image_json({"import", fx(f), "--name", "bb:x"});
    ASSERT_EQ(r.size(), 1u) << f;
    EXPECT_EQ(r[0]["format"], "rootfs") << f;
  }
  auto ls = image_json({"ls"});
  ASSERT_FALSE(ls.empty());
  bool named = false;
  for (const auto& i : ls)
    for (const auto& n : i["refs"]) named |= n == "docker.io/library/bb:x";
  EXPECT_TRUE(named) << ls.dump();
  auto in = image_json({"inspect", "bb:x"});
  ASSERT_EQ(in["layer_dirs"].size(), 1u);
  std::string root = in["layer_dirs"][0];
  EXPECT_EQ(in["image_config"]["rootfs"]["diff_ids"], in["layers"]);
  // One diff for every compression: the same layer, unpacked once.
  EXPECT_EQ(count("layers/sha256"), 2u);  // the directory and its record

  auto motd = lstat_of(root + "/etc/motd");
  EXPECT_EQ(motd.st_uid, 1000u);
  EXPECT_EQ(motd.st_gid, 1001u);
  EXPECT_EQ(motd.st_mode & 07777, 0640u);
  EXPECT_EQ(read_file(root + "/etc/motd"), "hello from the image\n");
  auto sh = lstat_of(root + "/bin/sh");
  EXPECT_TRUE(S_ISLNK(sh.st_mode));
  EXPECT_EQ(fs::read_symlink(root + "/bin/sh"), "busybox");
  auto bb = lstat_of(root + "/bin/busybox");
  auto hard = lstat_of(root + "/bin/hardbox");
  EXPECT_EQ(bb.st_ino, hard.st_ino);  // the hard link kept
  EXPECT_EQ(bb.st_mode & 07777, 0755u);
}

// Layers keep their set-user-ID programs and file capabilities: the store's root is
// root's alone, made so again by a command that creates, refused by one that only reads.
TEST_F(Image, StoreRootIsRootsAlone) {
  auto r = image({"import", fx("rootfs.tar"), "--name", "bb:x"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lstat_of(store_).st_mode & 07777, 0700u);
  ASSERT_EQ(::chmod(store_.c_str(), 0755), 0);
  auto ls = image({"ls"});
  EXPECT_NE(ls.status, 0);
  EXPECT_NE(ls.err.find("other users may enter it (mode 0755)"), std::string::npos) << ls.err;
  r = image({"import", fx("rootfs.tar"), "--name", "bb:y"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lstat_of(store_).st_mode & 07777, 0700u);
}

// Only gzip, xz, zstd and bzip2: a blob in another compression (here lrzip's magic,
// which libarchive would hand to an external program) is refused, and nothing kept.
TEST_F(Image, AnUnknownCompressionIsRefused) {
  std::string blob = dir_.path() + "/rootfs.tar.lrz";
  {
    FILE* f = std::fopen(blob.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("LRZI\x00\x06", f);
    for (int i = 0; i < 4096; ++i) std::fputc(i & 0xff, f);
    std::fclose(f);
  }
  auto r = image({"import", blob, "--name", "lrz:x"});
  EXPECT_NE(r.status, 0);
  EXPECT_FALSE(r.err.empty());
  expect_store_empty();
}

TEST_F(Image, OciLayoutConvertsWhiteoutsAndOpaqueDirsAndShowsItsConfig) {
  auto r = image_json({"import", fx("oci")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]["refs"], json::array({"example.com/test/oci:1"}));
  EXPECT_EQ(r[0]["layers_unpacked"], 2);
  auto in = image_json({"inspect", "example.com/test/oci:1"});
  EXPECT_EQ(in["image_config"]["config"]["Cmd"], json::array({"/bin/sh"}));
  EXPECT_EQ(in["platform"], "linux/amd64");
  ASSERT_EQ(in["layer_dirs"].size(), 2u);
  std::string upper = in["layer_dirs"][1];
  auto gone = lstat_of(upper + "/etc/gone");
  EXPECT_TRUE(S_ISCHR(gone.st_mode));
  EXPECT_EQ(gone.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(upper + "/etc/.wh.gone"));
  char val[8] = {};
  ssize_t n = ::getxattr((upper + "/opaq").c_str(), "user.overlay.opaque", val, sizeof(val));
  EXPECT_EQ(std::string(val, n > 0 ? n : 0), "y");
  EXPECT_FALSE(fs::exists(upper + "/opaq/.wh..wh..opq"));
  EXPECT_TRUE(S_ISFIFO(lstat_of(upper + "/fifo").st_mode));
  // The lower layer is as its archive has it: the whiteout's target is there.
  std::string lower = in["layer_dirs"][0];
  EXPECT_TRUE(fs::is_regular_file(lower + "/etc/gone"));

  // The same layout as a tar: the same image, nothing unpacked again.
  auto t = image_json({"import", fx("oci.tar")});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0]["id"], r[0]["id"]);
  EXPECT_EQ(t[0]["layers_unpacked"], 0);
}

TEST_F(Image, DockerSaveSharesTheLowerLayerAndPruneKeepsWhatAnImageUses) {
  auto oci = image_json({"import", fx("oci")});
  auto oci_in = image_json({"inspect", "example.com/test/oci:1"});
  std::string shared = oci_in["layer_dirs"][0];
  ino_t ino = lstat_of(shared).st_ino;

  auto d = image_json({"import", fx("docker.tar")});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["format"], "docker-save");
  EXPECT_EQ(d[0]["refs"], json::array({"docker.io/test/docker:1"}));
  EXPECT_EQ(d[0]["layers_reused"], 1);
  EXPECT_EQ(d[0]["layers_unpacked"], 1);
  auto d_in = image_json({"inspect", "test/docker:1"});
  EXPECT_EQ(d_in["layer_dirs"][0], shared);
  EXPECT_EQ(lstat_of(shared).st_ino, ino);  // the same directory, not unpacked again
  std::string docker_only = d_in["layer_dirs"][1];
  std::string oci_only = oci_in["layer_dirs"][1];

  // tag, then rm of one name keeps the image; rm of its last name removes the record.
  EXPECT_EQ(image({"tag", "example.com/test/oci:1", "mine:v2"}).status, 0);
  EXPECT_EQ(image_json({"inspect", "mine:v2"})["id"], oci[0]["id"]);
  auto rm1 = image_json({"rm", "example.com/test/oci:1"});
  EXPECT_TRUE(rm1["deleted"].is_null());
  EXPECT_EQ(image({"inspect", "example.com/test/oci:1"}).status, 66);
  auto rm2 = image_json({"rm", "mine:v2"});
  EXPECT_EQ(rm2["deleted"], oci[0]["id"]);
  EXPECT_TRUE(fs::exists(oci_only));  // layers stay until prune

  auto p = image_json({"prune"});
  EXPECT_EQ(p["layers"].size(), 1u);
  EXPECT_FALSE(fs::exists(oci_only));
  EXPECT_TRUE(fs::exists(shared));  // the docker image uses it
  EXPECT_TRUE(fs::exists(docker_only));
  EXPECT_EQ(image({"inspect", "test/docker:1"}).status, 0);
  EXPECT_FALSE(fs::exists(store_ + "/blobs/sha256/" + oci[0]["id"].get<std::string>().substr(7)));
}

TEST_F(Image, XattrsKeepUserOnesAndFileCapabilitiesDropTheRest) {
  ASSERT_EQ(image({"import", fx("xattrs.tar"), "--name", "x:1"}).status, 0);
  std::string f = image_json({"inspect", "x:1"})["layer_dirs"][0].get<std::string>() + "/ping";
  char buf[64] = {};
  ssize_t n = ::getxattr(f.c_str(), "user.note", buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "kept");
  EXPECT_LT(::getxattr(f.c_str(), "trusted.evil", buf, sizeof(buf)), 0);
  EXPECT_LT(::getxattr(f.c_str(), "user.overlay.opaque", buf, sizeof(buf)), 0);
  // Written as revision 3 with rootid 0; the kernel keeps a rootid-0 value written from the
  // initial user namespace in its revision 2 form. Either way cap_net_raw (bit 13) stays.
  unsigned char cap[32] = {};
  n = ::getxattr(f.c_str(), "security.capability", cap, sizeof(cap));
  ASSERT_TRUE(n == 20 || n == 24) << n;
  EXPECT_EQ(cap[5], 1 << (13 - 8));  // permitted, low word, byte 1
  EXPECT_EQ(cap[0] & 1, 1);          // effective
}

TEST_F(Image, PruneIsRefusedWhileTheLayersAreInUse) {
  auto oci = image_json({"import", fx("oci")});
  std::string upper = image_json({"inspect", "example.com/test/oci:1"})["layer_dirs"][1];
  ASSERT_EQ(image({"rm", "example.com/test/oci:1"}).status, 0);
  // A running sandbox holds gc.lock shared for its life, as this test does now.
  int fd = ::open((store_ + "/gc.lock").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_SH), 0);
  auto p = image({"prune"});
  EXPECT_EQ(p.status, 125);
  EXPECT_NE(p.err.find("in use"), std::string::npos) << p.err;
  EXPECT_TRUE(fs::exists(upper));
  ::close(fd);
  EXPECT_EQ(image({"prune"}).status, 0);
  EXPECT_FALSE(fs::exists(upper));
  EXPECT_EQ(count("layers/sha256"), 0u);
  EXPECT_EQ(count("blobs/sha256"), 0u);
}

TEST_F(Image, CorruptBlobAndTruncatedArchiveAreRefusedWithNothingKept) {
  auto c = image({"import", fx("corrupt")});
  EXPECT_EQ(c.status, 125);
  EXPECT_NE(c.err.find("digest mismatch"), std::string::npos) << c.err;
  expect_store_empty();
  auto t = image({"import", fx("truncated.tar.gz")});
  EXPECT_EQ(t.status, 125);
  EXPECT_NE(t.err.find("runcated"), std::string::npos) << t.err;
  expect_store_empty();
}

TEST_F(Image, HostileLayersAreRefusedWithAClearErrorAndNothingKept) {
  struct Case {
    const char* file;
    const char* error;
  } cases[] = {
      {"hostile-dotdot.tar", "'../x': its path has a '..' component"},
      {"hostile-abs.tar", "'/abs': its path is absolute"},
      {"hostile-symlink.tar", "'l/etc/pwned': a component of its path is a symlink"},
      {"hostile-device.tar", "'null': is a device node"},
      {"hostile-many.tar", "more than 100 entries"},
      {"hostile-sparse.tar", "'big': its 10000000000 bytes take the layer over"},
      {"hostile-hardlink.tar", "hard link target 'l/passwd' is not an earlier file"},
      {"hostile-hardabs.tar", "its hard link target is absolute"},
      {"hostile-bigid.tar", "owner 70000:0 is outside 0..65535"},
  };
  for (const auto& c : cases) {
    auto r = image({"import", fx(c.file), "--max-entries", "100"});
    EXPECT_EQ(r.status, 125) << c.file;
    EXPECT_NE(r.err.find(c.error), std::string::npos) << c.file << ": " << r.err;
    expect_store_empty();
  }
  // Nothing was written through the symlink to /.
  EXPECT_FALSE(fs::exists("/etc/pwned"));
}

TEST_F(Image, BadReferencesAndMissingImagesHaveTheirExitCodes) {
  auto bad = image({"import", fx("rootfs.tar.gz"), "--name", "UPPER/Case"});
  EXPECT_EQ(bad.status, 64) << bad.err;
  EXPECT_NE(bad.err.find("repository component"), std::string::npos) << bad.err;
  EXPECT_EQ(image({"inspect", "nothing:here"}).status, 66);
  auto help = image({"import", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--max-layer-size"), std::string::npos);
}

}  // namespace
}  // namespace cordon::testing
