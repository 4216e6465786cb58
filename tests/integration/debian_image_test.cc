// The Debian 12 test image (tests/images/debian12.sh, built by scripts/setup.sh into a
// cache) imported by the real `cordon image import`, its layer checked on disk and used as
// a sandbox's root filesystem for `apt-get install` of the local test package
// (tests/images/mkdeb.sh), which is also checked with dpkg-deb. Tests use no network:
// without the cached tarball (setup could not reach the mirror), the image tests skip.
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The line of a listing (`dpkg-deb -c`, `tar -tv`) that names path, or "".
std::string line_naming(const std::string& listing, const std::string& path) {
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line))
    if (line.size() >= path.size() &&
        line.compare(line.size() - path.size(), path.size(), path) == 0)
      return line;
  return "";
}

TEST(DebianImage, ImportsWithSystemdAndDpkgState) {
  if (!have_root()) GTEST_SKIP() << "needs root (layers keep their owners)";
  std::string tarball = debian12_tarball();
  ASSERT_FALSE(tarball.empty());
  if (!fs::exists(tarball))
    GTEST_SKIP() << "no cached Debian 12 image at " << tarball
                 << " (scripts/setup.sh builds it with tests/images/debian12.sh, which needs the "
                    "Debian mirror)";

  TempDir dir;
  std::string store = dir.path() + "/store";
  auto start = std::chrono::steady_clock::now();
  auto r =
      run_cordon({"image", "import", tarball, "--name", "debian:12", "--store", store, "--json"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.status, 0) << r.err;
  auto imported = json::parse(r.out);
  ASSERT_EQ(imported.size(), 1u) << r.out;
  EXPECT_EQ(imported[0]["format"], "rootfs");

  double mb = static_cast<double>(fs::file_size(tarball)) / 1e6;
  double mb_s = mb / seconds;
  RecordProperty("import_MB_per_s", std::to_string(mb_s));
  std::printf("import of the Debian 12 image (%.1f MB of tar.zst): %.2f s, %.1f MB/s\n", mb,
              seconds, mb_s);

  auto in = run_cordon({"image", "inspect", "debian:12", "--store", store});
  ASSERT_EQ(in.status, 0) << in.err;
  auto inspect = json::parse(in.out);
  ASSERT_EQ(inspect["layer_dirs"].size(), 1u) << in.out;
  std::string root = inspect["layer_dirs"][0];

  struct stat st {};
  ASSERT_EQ(::lstat((root + "/usr/lib/systemd/systemd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_NE(st.st_mode & 0111, 0u);
  // systemd-sysv: /sbin/init (through the /sbin -> usr/sbin link) is systemd.
  EXPECT_EQ(fs::read_symlink(root + "/usr/sbin/init"), "/lib/systemd/systemd");

  std::string version = read_file(root + "/etc/debian_version");
  EXPECT_EQ(version.rfind("12", 0), 0u) << version;

  std::string status = read_file(root + "/var/lib/dpkg/status");
  for (const char* pkg : {"systemd", "systemd-sysv", "dbus"}) {
    std::string entry = std::string("Package: ") + pkg + "\nStatus: install ok installed\n";
    EXPECT_NE(status.find(entry), std::string::npos) << pkg << " is not installed";
  }
  // Nothing big: no kernel.
  EXPECT_EQ(status.find("Package: linux-image"), std::string::npos);

  // The container tweaks (docs/images.md): an empty machine-id for first boot, root's
  // password locked, the image's own hostname, no getty on a virtual console, no device
  // nodes (the runtime makes /dev).
  ASSERT_TRUE(fs::is_regular_file(root + "/etc/machine-id"));
  EXPECT_EQ(fs::file_size(root + "/etc/machine-id"), 0u);
  EXPECT_FALSE(fs::exists(fs::symlink_status(root + "/var/lib/dbus/machine-id")));
  std::string shadow = "\n" + read_file(root + "/etc/shadow");
  EXPECT_NE(shadow.find("\nroot:*:"), std::string::npos) << "root's password is not locked";
  EXPECT_EQ(read_file(root + "/etc/hostname"), "debian12\n");
  EXPECT_FALSE(fs::exists(
      fs::symlink_status(root + "/etc/systemd/system/getty.target.wants/getty@tty1.service")));
  EXPECT_TRUE(fs::is_directory(root + "/dev"));
  EXPECT_TRUE(fs::is_empty(root + "/dev"));
  EXPECT_TRUE(fs::exists(root + "/etc/apt/sources.list.d/debian.sources"));
}

// apt-get installs the local package in a sandbox whose root filesystem is the imported
// layer: dpkg unpacks files owned by 1000:1000 and a set-group-ID directory, and its
// postinst's chown runs. The layer itself (read-only under the sandbox's writable one)
// is left as it was.
TEST(DebianImage, AptInstallsALocalPackageInASandbox) {
  if (!have_root()) GTEST_SKIP() << "needs root and user namespaces (run as root)";
  std::string tarball = debian12_tarball();
  ASSERT_FALSE(tarball.empty());
  if (!fs::exists(tarball))
    GTEST_SKIP() << "no cached Debian 12 image at " << tarball
                 << " (scripts/setup.sh builds it with tests/images/debian12.sh)";
  TempDir dir;
  std::string store = dir.path() + "/store", debs = dir.path() + "/debs";
  auto r = run_cordon({"image", "import", tarball, "--name", "debian:12", "--store", store});
  ASSERT_EQ(r.status, 0) << r.err;
  auto in = run_cordon({"image", "inspect", "debian:12", "--store", store});
  ASSERT_EQ(in.status, 0) << in.err;
  std::string root = json::parse(in.out)["layer_dirs"][0];
  auto built = run_program({"/bin/bash", MKDEB_SCRIPT, debs});
  ASSERT_EQ(built.status, 0) << built.err;

  auto run =
      run_cordon({"run", "--rootfs", root, "--time", "2m", "--bind", debs + ":/mnt/debs:ro", "--",
                  "/bin/sh", "-c",
                  "apt-get install -y /mnt/debs/cordon-probe_1.0_all.deb >/tmp/apt.log 2>&1 || "
                  "{ cat /tmp/apt.log; exit 1; }; "
                  "dpkg-query -W -f='status=${Status}\\n' cordon-probe; "
                  "cd /var/lib/cordon-probe && stat -c '%n %u:%g %a' owned shared x"});
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("status=install ok installed\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("owned 1000:1000 644\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("shared 0:1000 2775\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("x 1:1 644\n"), std::string::npos) << run.out;  // the postinst's chown
  EXPECT_FALSE(fs::exists(root + "/var/lib/cordon-probe"));
  EXPECT_EQ(read_file(root + "/var/lib/dpkg/status").find("Package: cordon-probe"),
            std::string::npos);
}

TEST(DebianImage, LocalPackageHoldsFilesOwnedByOthers) {
  if (!have_root()) GTEST_SKIP() << "needs root (mkdeb.sh chowns the package's files)";
  TempDir dir;
  auto built = run_program({"/bin/bash", MKDEB_SCRIPT, dir.path()});
  ASSERT_EQ(built.status, 0) << built.err;
  std::string deb = trimmed(built.out);
  EXPECT_EQ(deb, dir.path() + "/cordon-probe_1.0_all.deb");
  ASSERT_TRUE(fs::is_regular_file(deb));

  // dpkg-deb -c names owners as the archive does: by name where the building host had one
  // for the uid, else by number.
  auto listed = run_program({"/usr/bin/dpkg-deb", "-c", deb});
  ASSERT_EQ(listed.status, 0) << listed.err;
  const passwd* pw = ::getpwuid(1000);
  const group* gr = ::getgrgid(1000);
  std::string owner = std::string(pw != nullptr ? pw->pw_name : "1000") + "/" +
                      (gr != nullptr ? gr->gr_name : "1000");
  std::string owned = line_naming(listed.out, "./var/lib/cordon-probe/owned");
  ASSERT_FALSE(owned.empty()) << listed.out;
  EXPECT_NE(owned.find(" " + owner + " "), std::string::npos) << owned;
  EXPECT_EQ(owned.rfind("-rw-r--r-- ", 0), 0u) << owned;

  // The numbers themselves, and the set-group-ID directory.
  auto numeric = run_program(
      {"/bin/sh", "-c", "dpkg-deb --fsys-tarfile \"$0\" | tar -tv --numeric-owner -f -", deb});
  ASSERT_EQ(numeric.status, 0) << numeric.err;
  owned = line_naming(numeric.out, "./var/lib/cordon-probe/owned");
  EXPECT_NE(owned.find(" 1000/1000 "), std::string::npos) << numeric.out;
  std::string shared = line_naming(numeric.out, "./var/lib/cordon-probe/shared/");
  EXPECT_EQ(shared.rfind("drwxrwsr-x 0/1000 ", 0), 0u) << numeric.out;
  std::string x = line_naming(numeric.out, "./var/lib/cordon-probe/x");
  EXPECT_NE(x.find(" 0/0 "), std::string::npos) << numeric.out;

  // Its postinst gives x to 1:1; the package depends on nothing.
  auto postinst = run_program({"/usr/bin/dpkg-deb", "--info", deb, "postinst"});
  ASSERT_EQ(postinst.status, 0) << postinst.err;
  EXPECT_NE(postinst.out.find("chown 1:1 /var/lib/cordon-probe/x"), std::string::npos)
      << postinst.out;
  auto fields = run_program({"/usr/bin/dpkg-deb", "--field", deb, "Architecture", "Depends"});
  ASSERT_EQ(fields.status, 0) << fields.err;
  EXPECT_EQ(fields.out, "Architecture: all\n") << fields.out;
}

}  // namespace
}  // namespace cordon::testing
