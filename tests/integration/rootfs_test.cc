// --rootfs: a directory image, idmapped read-only under a size-capped writable layer.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "harness.h"

namespace cordon::testing {
namespace {

class Rootfs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root and user namespaces";
    busybox_ = find_busybox();
    if (busybox_.empty()) GTEST_SKIP() << "needs busybox-static (scripts/setup.sh installs it)";
    image_ = dir_.path() + "/image";
    make_image(image_, busybox_);
  }
  TempDir dir_;
  std::string busybox_;
  std::string image_;
};

TEST_F(Rootfs, ImageShowsRootOwnedInsideAndStaysUnchangedOnDisk) {
  RunOut r = run_cordon({"run", "--rootfs", image_, "--json", "--", "/bin/sh", "-c",
                         "stat -c '%u %g' /bin/busybox; cat /etc/image-file; "
                         "echo changed > /etc/image-file; touch /bin/new; cat /etc/image-file"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('{')), "0 0\nfrom-image\nchanged\n");
  EXPECT_EQ(r.result["isolation"]["root"]["mode"], "image");
  // The writes went to the upper layer: the image on disk is as it was, owned by uid 0.
  EXPECT_EQ(read_file(image_ + "/etc/image-file"), "from-image\n");
  EXPECT_NE(::access((image_ + "/bin/new").c_str(), F_OK), 0);
  struct stat st;
  ASSERT_EQ(::stat((image_ + "/bin/busybox").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(Rootfs, WritableLayerIsCappedByDisk) {
  RunOut r = run_cordon({"run", "--rootfs", image_, "--disk", "2M", "--", "/bin/sh", "-c",
                         "dd if=/dev/zero of=/root/big bs=1M count=8 2>/dev/null; echo dd=$?"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "dd=1\n");
}

TEST_F(Rootfs, ProcIsFreshAndHostIsAbsent) {
  RunOut r =
      run_cordon({"run", "--rootfs", image_, "--", "/bin/sh", "-c",
                  "ls /usr 2>/dev/null || echo no-usr; ls /sys | wc -l; cat /proc/1/cmdline | "
                  "tr '\\0' ' '; echo"});
  EXPECT_EQ(r.status, 0) << r.err;
  // PID 1 is the sandbox's own init (the cordon binary), not the host's.
  EXPECT_EQ(r.out.substr(0, r.out.find('\n', r.out.find('\n') + 1) + 1), "no-usr\n0\n") << r.out;
  EXPECT_EQ(r.out.find("systemd"), std::string::npos);
}

}  // namespace
}  // namespace cordon::testing
