// Resource limits against real sandboxes, checked from the host: every test runs its
// sandboxes under a cgroup parent of its own (--cgroup-parent), so it can watch the
// sandbox's groups and find nothing left afterwards.
#include <dirent.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"

namespace cordon::testing {
namespace {

constexpr const char* kRoot = "/sys/fs/cgroup";
const std::vector<std::string> kV1 = {"memory", "pids", "cpu", "cpuacct", "freezer", "blkio"};

bool is_v2() {
  struct statfs fs;
  return ::statfs(kRoot, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// A cgroup parent made for one test and removed at its end, failing or not.
class CgroupParent {
 public:
  CgroupParent()
      : name_("/cordon-test-" + std::to_string(::getpid()) + "-" + std::to_string(next_++)) {
    for (const auto& d : dirs()) ::mkdir(d.c_str(), 0755);
    if (is_v2()) {
      std::ofstream(std::string(kRoot) + name_ + "/cgroup.subtree_control") << "+memory +pids +cpu";
    }
  }
  ~CgroupParent() {
    for (const auto& d : dirs()) ::rmdir(d.c_str());
  }
  const std::string& name() const { return name_; }
  std::vector<std::string> dirs() const {
    if (is_v2()) return {std::string(kRoot) + name_};
    std::vector<std::string> out;
    for (const auto& c : kV1) out.push_back(std::string(kRoot) + "/" + c + name_);
    return out;
  }
  // The sandbox groups currently under this parent, in every hierarchy.
  std::vector<std::string> children() const {
    std::vector<std::string> out;
    for (const auto& d : dirs()) {
      DIR* dir = ::opendir(d.c_str());
      while (dir != nullptr) {
        struct dirent* e = ::readdir(dir);
        if (e == nullptr) break;
        if (e->d_type == DT_DIR && std::string(e->d_name).rfind("cordon-", 0) == 0)
          out.push_back(d + "/" + e->d_name);
      }
      if (dir != nullptr) ::closedir(dir);
    }
    return out;
  }

 private:
  static inline int next_ = 0;
  std::string name_;
};

class Limits : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root and user namespaces";
  }
  // cordon run with this test's cgroup parent, the JSON result in a file (so that the
  // command's own output stays apart), and args.
  RunOut run(std::vector<std::string> args, nlohmann::json* result) {
    std::string file = tmp_.path() + "/result.json";
    std::vector<std::string> full = {"run", "--cgroup-parent", parent_.name(), "--result-file",
                                     file};
    full.insert(full.end(), args.begin(), args.end());
    RunOut r = run_cordon(full);
    *result = nlohmann::json::parse(read_file(file), nullptr, false);
    return r;
  }
  void TearDown() override {
    if (!have_root()) return;
    EXPECT_TRUE(parent_.children().empty()) << "a sandbox cgroup was left behind";
  }
  TempDir tmp_;
  CgroupParent parent_;
};

TEST_F(Limits, ResultNamesTheBackendAndTheLimitsApplied) {
  nlohmann::json j;
  RunOut r = run({"--memory", "100M", "--pids", "50", "--cpus", "0.5", "--", "true"}, &j);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(j["cgroup"]["version"], is_v2() ? 2 : 1);
  EXPECT_EQ(j["limits"]["memory_bytes"], 100u << 20);
  EXPECT_EQ(j["limits"]["pids"], 50);
  EXPECT_EQ(j["limits"]["cpus"], 0.5);
  for (const auto& p : j["cgroup"]["paths"]) {
    EXPECT_NE(p.get<std::string>().find(parent_.name() + "/cordon-"), std::string::npos) << p;
    EXPECT_NE(::access(p.get<std::string>().c_str(), F_OK), 0) << "not removed: " << p;
  }
}

TEST_F(Limits, LimitsAreWrittenToTheSandboxsCgroup) {
  nlohmann::json j;
  // The sandbox reads its own limits through its cgroup namespace's view of cgroupfs is
  // not mounted: read them from the host while it runs.
  std::string file = tmp_.path() + "/r.json";
  pid_t sup = spawn_cordon({"run", "--cgroup-parent", parent_.name(), "--memory", "96M", "--pids",
                            "40", "--cpus", "0.25", "--", "sleep", "3"});
  std::vector<std::string> groups;
  ASSERT_TRUE(wait_until(60000, [&] {
    groups = parent_.children();
    return !groups.empty();
  }));
  std::map<std::string, std::string> seen;
  for (const auto& g : groups) {
    for (const char* f :
         {"memory.limit_in_bytes", "memory.max", "pids.max", "cpu.cfs_quota_us", "cpu.max"}) {
      std::string v = read_file(g + "/" + f);
      if (!v.empty()) seen[f] = v;
    }
  }
  ::kill(sup, SIGTERM);
  wait_exit(sup);
  if (is_v2()) {
    EXPECT_EQ(seen["memory.max"], std::to_string(96 << 20) + "\n");
    EXPECT_EQ(seen["cpu.max"], "25000 100000\n");
  } else {
    EXPECT_EQ(seen["memory.limit_in_bytes"], std::to_string(96 << 20) + "\n");
    EXPECT_EQ(seen["cpu.cfs_quota_us"], "25000\n");
  }
  EXPECT_EQ(seen["pids.max"], "40\n");
  (void)j;
}

// The block device that holds "/" (a whole disk, not a partition, as blk-throttle wants),
// as /dev/NAME and MAJ:MIN; empty when there is none.
std::pair<std::string, std::string> root_disk() {
  struct stat st;
  if (::stat("/", &st) != 0) return {};
  std::string majmin = std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
  std::string sys = "/sys/dev/block/" + majmin;
  if (::access((sys + "/partition").c_str(), F_OK) == 0) return {};
  std::istringstream in(read_file(sys + "/uevent"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("DEVNAME=", 0) == 0) return {"/dev/" + line.substr(8), majmin};
  return {};
}

TEST_F(Limits, IoLimitsAreWrittenForTheDevice) {
  auto [dev, majmin] = root_disk();
  if (dev.empty() || ::access(dev.c_str(), F_OK) != 0) GTEST_SKIP() << "/ is not on a whole disk";
  pid_t sup = spawn_cordon({"run", "--cgroup-parent", parent_.name(), "--io-read-bps", dev + ":1M",
                            "--io-write-bps", dev + ":2M", "--", "sleep", "3"});
  std::string read_limit, write_limit;
  ASSERT_TRUE(wait_until(60000, [&] {
    for (const auto& g : parent_.children()) {
      if (is_v2()) {
        read_limit = read_file(g + "/io.max");
      } else if (g.find("/blkio/") != std::string::npos) {
        read_limit = read_file(g + "/blkio.throttle.read_bps_device");
        write_limit = read_file(g + "/blkio.throttle.write_bps_device");
      }
    }
    return !read_limit.empty();
  }));
  ::kill(sup, SIGTERM);
  wait_exit(sup);
  if (is_v2()) {
    EXPECT_EQ(read_limit, majmin + " rbps=1048576 wbps=2097152 riops=max wiops=max\n");
  } else {
    EXPECT_EQ(read_limit, majmin + " 1048576\n");
    EXPECT_EQ(write_limit, majmin + " 2097152\n");
  }
}

// A fork bomb stops at the pids limit and the host stays responsive: a host loop of
// fork+exec never stalls for more than a second during the bomb.
TEST_F(Limits, ForkBombStopsAtPidsLimitAndHostStaysResponsive) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> worst_ms{0};
  std::atomic<int> spawned{0};
  std::thread prober([&] {
    while (!stop) {
      auto t0 = std::chrono::steady_clock::now();
      pid_t p = ::fork();
      if (p == 0) {
        ::execl("/bin/true", "true", nullptr);
        ::_exit(1);
      }
      ::waitpid(p, nullptr, 0);
      int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
      worst_ms = std::max<int64_t>(worst_ms, ms);
      ++spawned;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  nlohmann::json j;
  RunOut r = run({"--pids", "64", "--time", "3s", "--", "sh", "-c",
                  "bomb() { bomb | bomb & }; bomb; sleep 10"},
                 &j);
  stop = true;
  prober.join();
  EXPECT_EQ(j["reason"], "wall-time") << r.err.substr(0, 500);
  EXPECT_EQ(r.status, 124);
  EXPECT_NE(r.err.find("fork"), std::string::npos) << "the bomb never hit the limit";
  EXPECT_GT(spawned.load(), 20);
  EXPECT_LT(worst_ms.load(), 1000) << "the host stalled";
}

// A memory bomb ends with reason oom inside its limit, and the host gets its memory back:
// measured in the test's own parent cgroup, which every page of the sandbox was charged
// to (other tests running at the same time move the host's totals).
TEST_F(Limits, MemoryBombEndsWithOomInsideItsLimit) {
  std::string usage_file =
      parent_.dirs()[0] + (is_v2() ? "/memory.current" : "/memory.usage_in_bytes");
  uint64_t before = std::stoull("0" + read_file(usage_file));
  nlohmann::json j;
  RunOut r = run({"--memory", "64M", "--", "python3", "-c",
                  "a = []\nwhile True: a.append(bytearray(1 << 20))"},
                 &j);
  EXPECT_EQ(j["reason"], "oom") << r.err;
  EXPECT_EQ(r.status, 121);
  EXPECT_TRUE(j["exit_code"].is_null()) << "the command did not exit: it was killed";
  EXPECT_GE(j["accounting"]["oom_kills"].get<int>(), 1);
  EXPECT_LE(j["accounting"]["peak_memory_bytes"].get<uint64_t>(), 64u << 20);
  EXPECT_GT(j["accounting"]["peak_memory_bytes"].get<uint64_t>(), 32u << 20);
  uint64_t after = std::stoull("0" + read_file(usage_file));
  // Back to where it was, but for a little page cache (4 MiB).
  EXPECT_LT(after, before + (4u << 20)) << "before " << before << " B, after " << after << " B";
}

// Files in the sandbox's tmpfs are its memory too: they cannot take the host's.
TEST_F(Limits, TmpfsCountsAgainstTheMemoryLimit) {
  nlohmann::json j;
  RunOut r = run({"--memory", "32M", "--disk", "256M", "--", "sh", "-c",
                  "dd if=/dev/zero of=/tmp/fill bs=1M count=128 2>/dev/null; echo dd=$?"},
                 &j);
  EXPECT_LE(j["accounting"]["peak_memory_bytes"].get<uint64_t>(), 32u << 20);
  EXPECT_NE(r.out, "dd=0\n") << "128M written into a 32M sandbox";
}

// A CPU spin ends with cpu-time, having used at least its limit (the supervisor kills it
// once the cgroup's total reaches the limit, which the result's user and system add up
// to). How far past depends on how soon the supervisor runs on a busy machine: bounded
// here only far above any scheduling delay, where the limit would not hold at all.
TEST_F(Limits, CpuSpinEndsWithCpuTime) {
  nlohmann::json j;
  RunOut r =
      run({"--cpu-time", "400ms", "--time", "60s", "--", "sh", "-c", "while :; do :; done"}, &j);
  EXPECT_EQ(j["reason"], "cpu-time") << r.err;
  EXPECT_EQ(r.status, 123);
  double cpu =
      j["accounting"]["cpu_user_ms"].get<double>() + j["accounting"]["cpu_system_ms"].get<double>();
  EXPECT_GE(cpu, 400.0);
  EXPECT_LE(cpu, 10000.0);
}

// A sleep ends with wall-time at its limit: at most 500 ms late.
TEST_F(Limits, SleepEndsWithWallTime) {
  nlohmann::json j;
  RunOut r = run({"--time", "300ms", "--", "sleep", "30"}, &j);
  EXPECT_EQ(j["reason"], "wall-time") << r.err;
  EXPECT_EQ(r.status, 124);
  EXPECT_GE(j["accounting"]["wall_time_ms"].get<double>(), 300.0);
  EXPECT_LE(j["accounting"]["wall_time_ms"].get<double>(), 800.0);
}

// A flood of output is cut at the limit, to the byte, and the sandbox killed.
TEST_F(Limits, OutputFloodEndsWithOutputLimit) {
  nlohmann::json j;
  RunOut r = run({"--output-limit", "100K", "--", "sh", "-c", "yes; yes >&2"}, &j);
  EXPECT_EQ(j["reason"], "output-limit");
  EXPECT_EQ(r.status, 122);
  // cordon's own line names the limit; the rest of stderr is the command's.
  const std::string said =
      "cordon: stopped at the output limit (--output-limit 100K of stdout and stderr "
      "together)\n";
  size_t at = r.err.rfind(said);
  ASSERT_NE(at, std::string::npos) << r.err.substr(r.err.size() > 200 ? r.err.size() - 200 : 0);
  EXPECT_EQ(at + said.size(), r.err.size());  // after everything the command wrote
  EXPECT_EQ(r.out.size() + r.err.size() - said.size(), 100u * 1024);
  EXPECT_EQ(j["accounting"]["output_bytes"], 100 * 1024);
}

// The CPU quota holds: a spin under --cpus 0.2 for 1 s gets about 0.2 s of CPU.
TEST_F(Limits, CpuQuotaHolds) {
  nlohmann::json j;
  RunOut r = run({"--cpus", "0.2", "--time", "1s", "--", "sh", "-c", "while :; do :; done"}, &j);
  EXPECT_EQ(j["reason"], "wall-time");
  double cpu =
      j["accounting"]["cpu_user_ms"].get<double>() + j["accounting"]["cpu_system_ms"].get<double>();
  EXPECT_GT(cpu, 50.0);
  EXPECT_LT(cpu, 400.0) << "a 0.2 CPU quota gave " << cpu << " ms in 1 s";
}

// A double-forked daemon is killed with the sandbox; its cgroup goes in every controller.
TEST_F(Limits, DaemonDiesWithTheSandboxAndItsGroupsGo) {
  nlohmann::json j;
  RunOut r = run({"--", "sh", "-c", "(sh -c 'sleep 4321987' &) ; sleep 0.2; echo started"}, &j);
  EXPECT_EQ(r.out, "started\n");
  EXPECT_EQ(j["reason"], "exited");
  ASSERT_FALSE(j["cgroup"]["paths"].empty());
  for (const auto& p : j["cgroup"]["paths"])
    EXPECT_NE(::access(p.get<std::string>().c_str(), F_OK), 0) << p;
  // No such sleep is left anywhere on the host.
  const std::string wanted("sleep\0004321987\000", 14);
  DIR* proc = ::opendir("/proc");
  ASSERT_NE(proc, nullptr);
  while (struct dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    EXPECT_NE(read_file(std::string("/proc/") + e->d_name + "/cmdline"), wanted) << e->d_name;
  }
  ::closedir(proc);
}

TEST_F(Limits, RlimitsApplyInside) {
  nlohmann::json j;
  RunOut r =
      run({"--nofile", "64", "--fsize", "1M", "--stack", "32M", "--", "sh", "-c",
           "ulimit -n; ulimit -c; ulimit -s; ulimit -Hs; "
           "dd if=/dev/zero of=/tmp/f bs=1M count=4 2>/dev/null; echo dd=$?; wc -c < /tmp/f"},
          &j);
  // 153 = 128 + SIGXFSZ; the stack in KiB, soft and hard.
  EXPECT_EQ(r.out, "64\n0\n32768\n32768\ndd=153\n1048576\n") << r.err;
  EXPECT_EQ(j["limits"]["stack_bytes"], 32u << 20);
}

// A SIGTERM at any moment of the start (here: after 0 to 9 ms) is held until the sandbox
// runs, then forwarded: the supervisor always removes what it made.
TEST_F(Limits, SigtermDuringStartLeavesNoGroup) {
  for (int delay_ms = 0; delay_ms < 10; ++delay_ms) {
    pid_t sup = spawn_cordon({"run", "--cgroup-parent", parent_.name(), "--", "sleep", "10"});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(sup, SIGTERM);
    int status = wait_exit(sup);
    EXPECT_NE(status, 0) << "after " << delay_ms << " ms";
    EXPECT_TRUE(parent_.children().empty()) << "group left after SIGTERM at " << delay_ms << " ms";
  }
}

// SIGKILL cannot be held: the killed supervisor's group stays, empty (its sandbox died with
// it), until the next start in the same parent finds its slot free and removes it.
TEST_F(Limits, GroupOfAKilledSupervisorIsRemovedByTheNextStart) {
  pid_t sup = spawn_cordon({"run", "--cgroup-parent", parent_.name(), "--", "sleep", "100"});
  ASSERT_TRUE(wait_until(60000, [&] {
    auto init = children_of(sup);
    return init.size() == 1 && children_of(init[0]).size() == 1;
  }));
  ::kill(sup, SIGKILL);
  wait_exit(sup);
  ASSERT_TRUE(wait_until(60000, [&] {
    // The stale group is there until its sandbox's last process is gone.
    for (const auto& g : parent_.children())
      if (!read_file(g + "/cgroup.procs").empty()) return false;
    return true;
  }));
  EXPECT_FALSE(parent_.children().empty()) << "nothing stale to sweep: the test proves nothing";
  nlohmann::json j;
  RunOut r = run({"--", "true"}, &j);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(parent_.children().empty()) << "the stale group was not removed";
}

// Bad limits are refused before anything is created.
TEST_F(Limits, BadLimitsAreRefusedBeforeAnythingIsCreated) {
  struct Case {
    std::vector<std::string> args;
    int status;
  };
  std::vector<Case> cases = {
      {{"--memory", "1M"}, 64},
      {{"--memory", "lots"}, 64},
      {{"--pids", "2"}, 64},
      {{"--cpus", "0"}, 64},
      {{"--cpus", "0.0001"}, 64},
      {{"--cpu-weight", "0"}, 64},
      {{"--time", "0"}, 64},
      {{"--time", "5x"}, 64},
      {{"--cpu-time", "0.5ns"}, 64},
      {{"--output-limit", "0"}, 64},
      {{"--nofile", "3"}, 64},
      {{"--stack", "4K"}, 64},
      {{"--memory", "64M", "--stack", "128M"}, 64},
      {{"--memory", "64M", "--memory-swap", "32M"}, 64},
      {{"--io-read-bps", "/etc/passwd:1M"}, 66},
      {{"--io-write-bps", "/dev/null"}, 64},
  };
  for (const auto& c : cases) {
    nlohmann::json j;
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--", "true"});
    RunOut r = run(args, &j);
    EXPECT_EQ(r.status, c.status) << c.args[0] << " " << c.args[1] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(parent_.children().empty());
  }
}

}  // namespace
}  // namespace cordon::testing

namespace cordon::testing {
namespace {

// --no-cgroup is an explicit opt-out, visible in the result; the supervisor's own limits
// still hold without a cgroup.
TEST(NoCgroup, IsRecordedAndTimeLimitsStillHold) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--json", "--no-cgroup", "--time", "200ms", "--", "sleep", "5"});
  EXPECT_EQ(r.status, 124);
  EXPECT_EQ(r.result["reason"], "wall-time");
  EXPECT_TRUE(r.result["cgroup"].is_null());
  EXPECT_EQ(r.result["limits"]["cgroup_limits"], false);
  RunOut d = run_cordon({"run", "--json", "--", "true"});
  EXPECT_EQ(d.result["limits"]["cgroup_limits"], true);
  EXPECT_FALSE(d.result["cgroup"].is_null());
  RunOut bad = run_cordon({"run", "--no-cgroup", "--cpu-time", "1s", "--", "true"});
  EXPECT_EQ(bad.status, 64);
}

}  // namespace
}  // namespace cordon::testing
