// `cordon run --boot`: the Debian 12 test image's systemd booted as PID 1 of a sandbox,
// checked from the host. The image gets a probe unit (bound in, with its .wants link)
// that writes what the system says of itself into a host directory bound at /probe:
// the state once the boot is over, the failed units, PID 1's name and the boot's time.
// Two boots: one that powers itself off, one stopped by SIGTERM to cordon while it boots;
// and a stop of an init that ignores it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0644);
}

// Host PIDs whose real UID is in [base, base + 65536): processes of the sandbox's slot.
std::vector<pid_t> slot_processes(uint64_t base) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Uid:", 0) != 0) continue;
      uint64_t uid = std::stoull(line.substr(4));
      if (uid >= base && uid - base < 65536) out.push_back(std::stoi(name));
      break;
    }
  }
  return out;
}

class Boot : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root";
    std::string tarball = debian12_tarball();
    ASSERT_FALSE(tarball.empty()) << "tests/images/debian12.sh --path failed";
    if (!fs::exists(tarball))
      GTEST_SKIP() << "no cached Debian 12 image at " << tarball
                   << " (scripts/setup.sh builds it with tests/images/debian12.sh)";
    store_ = dir_.path() + "/store";
    auto r = run_cordon({"image", "import", tarball, "--name", "debian:12", "--store", store_});
    ASSERT_EQ(r.status, 0) << r.err;
    probe_ = dir_.path() + "/probe";
    fs::create_directories(probe_);
    ::chmod(probe_.c_str(), 0777);  // written by root inside, a slot ID on the host
    fs::create_directories(dir_.path() + "/wants");
  }

  // The probe unit: after multi-user.target, waits for the end of the boot (Type=simple,
  // so that its own start job does not hold the boot open), records, then runs `then`.
  void probe_unit(const std::string& then) {
    write(dir_.path() + "/cordon-probe.service",
          "[Unit]\nDescription=cordon boot probe\nAfter=multi-user.target\n\n"
          "[Service]\nType=simple\nExecStart=/bin/sh -c 'systemctl is-system-running --wait "
          "> /probe/state.tmp; systemctl --failed --no-legend --plain > /probe/failed; "
          "cat /proc/1/comm > /probe/pid1; systemd-analyze time > /probe/time 2>&1; "
          "mv /probe/state.tmp /probe/state; " +
              then + "'\n");
    fs::create_symlink("/etc/systemd/system/cordon-probe.service",
                       dir_.path() + "/wants/cordon-probe.service");
  }

  std::vector<std::string> args(const std::vector<std::string>& extra) {
    std::vector<std::string> a = {
        "run",
        "--store",
        store_,
        "--image",
        "debian:12",
        "--boot",
        "--result-file",
        dir_.path() + "/result.json",
        "--bind",
        probe_ + ":/probe:rw",
        "--bind",
        dir_.path() + "/cordon-probe.service:/etc/systemd/system/cordon-probe.service",
        "--bind",
        dir_.path() + "/wants:/etc/systemd/system/multi-user.target.wants"};
    a.insert(a.end(), extra.begin(), extra.end());
    a.insert(a.end(), {"--", "/sbin/init"});
    return a;
  }

  json result() { return json::parse(read_file(dir_.path() + "/result.json")); }

  void report_boot_time() {
    std::string t = trimmed(read_file(probe_ + "/time"));
    RecordProperty("systemd_analyze_time", t);
    std::printf("boot time (systemd-analyze time inside): %s\n", t.c_str());
  }

  // Nothing of the sandbox left on the host: its cgroups (the unified one too) and its
  // slot's processes.
  void expect_nothing_left(const json& res) {
    ASSERT_TRUE(res["cgroup"].is_object()) << res.dump();
    for (const auto& p : res["cgroup"]["paths"])
      EXPECT_FALSE(fs::exists(p.get<std::string>())) << p;
    EXPECT_TRUE(slot_processes(res["id_slot"]["uid_base"].get<uint64_t>()).empty());
  }

  TempDir dir_;
  std::string store_;
  std::string probe_;
};

TEST_F(Boot, SystemdReachesRunningWithNoFailedUnitAndPowersOff) {
  probe_unit("systemctl poweroff");
  auto r = run_cordon(args({}));
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(trimmed(read_file(probe_ + "/state")), "running");
  EXPECT_EQ(read_file(probe_ + "/failed"), "");
  EXPECT_EQ(trimmed(read_file(probe_ + "/pid1")), "systemd");
  // The console came out on cordon's stdout.
  EXPECT_NE(r.out.find("Welcome to"), std::string::npos) << r.out;
  json res = result();
  EXPECT_EQ(res["boot"], true);
  EXPECT_EQ(res["reason"], "exited");
  EXPECT_EQ(res["boot_mode"]["stop"], nullptr);  // it ended by itself
  EXPECT_EQ(res["boot_mode"]["seccomp"], "boot");
  EXPECT_EQ(res["seccomp"]["profile"], "boot");
  EXPECT_EQ(res["seccomp"]["loaded"], true);
  EXPECT_EQ(res["isolation"]["sys"], "sysfs-readonly");
  report_boot_time();
  expect_nothing_left(res);
}

// The stop comes during the boot: once a unit without default dependencies (started at
// once, beside sysinit.target) has run, long before multi-user.target.
TEST_F(Boot, SigtermDuringTheBootHaltsTheInitWithinTheGrace) {
  probe_unit("exec sleep infinity");
  write(dir_.path() + "/cordon-early.service",
        "[Unit]\nDescription=cordon early probe\nDefaultDependencies=no\n\n"
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo > /probe/booting'\n");
  fs::create_symlink("/etc/systemd/system/cordon-early.service",
                     dir_.path() + "/wants/cordon-early.service");
  std::vector<std::string> a = args({"--stop-grace", "100s", "--bind",
                                     dir_.path() + "/cordon-early.service:/etc/systemd/system/"
                                                   "cordon-early.service"});
  pid_t pid = spawn_cordon(a);
  ASSERT_GT(pid, 0);
  bool booting = wait_until(100'000, [&] { return fs::exists(probe_ + "/booting"); });
  if (!booting) ::kill(pid, SIGKILL);
  ASSERT_TRUE(booting);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(pid), 0);  // systemd's halt ends PID 1 with status 0
  json res = result();
  EXPECT_EQ(res["reason"], "exited");
  ASSERT_TRUE(res["boot_mode"]["stop"].is_object()) << res.dump();
  EXPECT_EQ(res["boot_mode"]["stop"]["ended"], "halted");  // no SIGKILL needed
  std::printf("halt after SIGTERM during the boot: %.0f ms\n",
              res["boot_mode"]["stop"]["took_ms"].get<double>());
  expect_nothing_left(res);
}

// An init that does not take SIGRTMIN+3 (sleep neither handles nor blocks it, so the
// kernel would drop it: the supervisor holds it back) is killed at the grace's end; the
// wall-time limit is the stop here.
TEST_F(Boot, AnInitThatDoesNotHaltIsKilledAtTheGrace) {
  auto r = run_cordon({"run", "--store", store_, "--image", "debian:12", "--boot", "--time", "1s",
                       "--stop-grace", "1s", "--result-file", dir_.path() + "/result.json", "--",
                       "/bin/sleep", "1000"});
  EXPECT_EQ(r.status, 124) << r.err;
  json res = result();
  EXPECT_EQ(res["reason"], "wall-time");
  ASSERT_TRUE(res["boot_mode"]["stop"].is_object()) << res.dump();
  EXPECT_EQ(res["boot_mode"]["stop"]["ended"], "killed");
  expect_nothing_left(res);
}

}  // namespace
}  // namespace cordon::testing
