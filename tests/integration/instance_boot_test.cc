// A Debian 12 system container from outside: the image tests/images/debian12.sh builds
// (cached at setup), imported into a temp store, made an instance with --boot. One boot:
// systemd reaches "running" with no failed unit, exec and shell work in it, apt-get installs
// a local package (dpkg changes owners), a snapshot taken before restores it, and the
// instance halts cleanly on stop.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

TEST(InstanceBoot, ADebianInstanceBootsRunsAptAndRestoresASnapshot) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  std::string tarball = debian12_tarball();
  ASSERT_FALSE(tarball.empty()) << "tests/images/debian12.sh --path failed";
  if (!fs::exists(tarball))
    GTEST_SKIP() << "no cached Debian 12 image at " << tarball << " (scripts/setup.sh builds it)";
  if (!fs::exists("/sbin/mkfs.btrfs") && !fs::exists("/usr/sbin/mkfs.btrfs"))
    GTEST_SKIP() << "needs mkfs.btrfs (btrfs-progs)";
  TempDir dir;
  std::string store = dir.path() + "/store", root = dir.path() + "/instances",
              debs = dir.path() + "/debs";
  ASSERT_EQ(
      run_cordon({"image", "import", tarball, "--name", "debian:12", "--store", store}).status, 0);
  ASSERT_EQ(run_program({"/bin/bash", MKDEB_SCRIPT, debs}).status, 0);
  auto inst = [&](std::vector<std::string> args, int in = -1) {
    args.insert(args.begin(), {cordon_binary(), "instance", "--instances", root});
    return run_program(args, in);
  };
  struct Cleanup {
    std::function<void()> f;
    ~Cleanup() { f(); }
  } cleanup{[&] {
    inst({"stop", "deb", "--time", "20s"});
    inst({"rm", "deb"});
  }};
  auto made = inst({"create", "deb", "--image", "debian:12", "--store", store, "--boot", "--disk",
                    "1G", "--memory", "1G"});
  ASSERT_EQ(made.status, 0) << made.err;
  auto started = inst({"start", "deb"});
  ASSERT_EQ(started.status, 0) << started.err;

  // systemd's own word on the boot, from inside, once its manager listens (start returns
  // when PID 1 runs, before systemd has made its sockets).
  ASSERT_TRUE(wait_until(60000, [&] {
    return inst({"exec", "deb", "--", "test", "-S", "/run/systemd/private"}).status == 0;
  }));
  auto state = inst({"exec", "deb", "--", "systemctl", "is-system-running", "--wait"});
  EXPECT_EQ(trimmed(state.out), "running") << state.out << state.err;
  auto failed = inst({"exec", "deb", "--", "systemctl", "--failed", "--no-legend", "--plain"});
  EXPECT_EQ(failed.status, 0) << failed.err;
  EXPECT_EQ(trimmed(failed.out), "") << failed.out;
  auto comm = inst({"exec", "deb", "--", "cat", "/proc/1/comm"});
  EXPECT_EQ(trimmed(comm.out), "systemd");
  auto boot = inst({"exec", "deb", "--", "systemd-analyze", "time"});
  std::printf("[ boot ] %s\n", trimmed(boot.out).c_str());
  RecordProperty("systemd_analyze_time", trimmed(boot.out));

  // A shell on a terminal of its own.
  std::string script = dir.path() + "/shell-input";
  std::ofstream(script) << "echo in-$(hostname)-$(id -u); exit 5\n";
  int in = ::open(script.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(in, 0);
  auto sh = inst({"shell", "deb"}, in);
  ::close(in);
  EXPECT_EQ(sh.status, 5) << sh.err;
  EXPECT_NE(sh.out.find("-0"), std::string::npos) << sh.out;

  // apt-get installs a local package: dpkg and its maintainer script change owners.
  std::string deb = debs + "/cordon-probe_1.0_all.deb";
  int debfd = ::open(deb.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(debfd, 0);
  auto pushed = inst({"exec", "deb", "--", "sh", "-c", "cat > /root/probe.deb"}, debfd);
  ::close(debfd);
  ASSERT_EQ(pushed.status, 0) << pushed.err;
  auto apt = inst({"exec", "deb", "--", "sh", "-c",
                   "apt-get install -y /root/probe.deb >/tmp/apt.log 2>&1 || "
                   "{ cat /tmp/apt.log; exit 1; }; cd /var/lib/cordon-probe && "
                   "stat -c '%n %u:%g %a' owned shared x"});
  ASSERT_EQ(apt.status, 0) << apt.out << apt.err;
  EXPECT_NE(apt.out.find("owned 1000:1000 644\n"), std::string::npos) << apt.out;
  EXPECT_NE(apt.out.find("x 1:1 644\n"), std::string::npos) << apt.out;

  // Stop halts systemd within the grace; a snapshot of the installed state, then the
  // package removed, then restored.
  auto stopped = inst({"stop", "deb", "--time", "30s"});
  ASSERT_EQ(stopped.status, 0) << stopped.err;
  auto last = json::parse(read_file(root + "/deb/last-result.json"));
  EXPECT_EQ(last["exit_status"], 0) << last.dump().substr(0, 400);
  ASSERT_EQ(inst({"snapshot", "create", "deb", "installed"}).status, 0);
  ASSERT_EQ(inst({"start", "deb"}).status, 0);
  auto purge = inst({"exec", "deb", "--", "dpkg", "--purge", "cordon-probe"});
  EXPECT_EQ(purge.status, 0) << purge.out << purge.err;
  ASSERT_EQ(inst({"stop", "deb"}).status, 0);
  auto restored = inst({"snapshot", "restore", "deb", "installed"});
  ASSERT_EQ(restored.status, 0) << restored.err;
  std::printf("[ snapshot ] %s\n", trimmed(restored.out).c_str());
  ASSERT_EQ(inst({"start", "deb"}).status, 0);
  auto back = inst({"exec", "deb", "--", "dpkg-query", "-W", "-f=${Status}", "cordon-probe"});
  EXPECT_EQ(back.out, "install ok installed") << back.err;
}

}  // namespace
}  // namespace cordon::testing
