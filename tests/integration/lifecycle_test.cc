// The end of a sandbox: nothing survives its supervisor, and a crash leaks no slot.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include "harness.h"

namespace cordon::testing {
namespace {

constexpr const char* kSlotDir = "/run/cordon/slots";

bool slot_is_free(uint64_t base) {
  std::string path = std::string(kSlotDir) + "/slot-" + std::to_string(base);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

// Invariants 1 and 5: SIGKILL of the supervisor leaves no process, mount or slot.
TEST(Lifecycle, SupervisorKilledLeavesNothingBehind) {
  REQUIRE_ROOT();
  std::string mounts_before = host_mountinfo();
  pid_t sup = spawn_cordon({"run", "--", "sh", "-c", "sleep 1000 & sleep 1000"});
  std::vector<pid_t> init, inside;
  // Both sleeps running: PID 1's descendants, whatever the shell made of the line.
  ASSERT_TRUE(wait_until(5000, [&] {
    init = children_of(sup);
    if (init.size() != 1) return false;
    inside = descendants_of(init[0]);
    int sleeps = 0;
    for (pid_t p : inside)
      sleeps += read_file("/proc/" + std::to_string(p) + "/comm") == "sleep\n" ? 1 : 0;
    return sleeps == 2;
  }));
  auto base = map_base(read_file("/proc/" + std::to_string(init[0]) + "/uid_map"));
  ASSERT_TRUE(base.has_value());
  EXPECT_FALSE(slot_is_free(*base)) << "the slot must be held while the sandbox runs";

  ASSERT_EQ(::kill(sup, SIGKILL), 0);
  EXPECT_EQ(wait_exit(sup), 128 + SIGKILL);
  EXPECT_TRUE(wait_until(5000, [&] {
    for (pid_t p : inside)
      if (process_exists(p)) return false;
    return !process_exists(init[0]);
  })) << "a sandbox process outlived its supervisor";
  EXPECT_TRUE(wait_until(5000, [&] { return slot_is_free(*base); })) << "slot leaked";
  EXPECT_EQ(host_mountinfo(), mounts_before);
}

// A double-forked daemon does not outlive the command: PID 1's exit ends the namespace.
TEST(Lifecycle, DaemonDoesNotOutliveTheCommand) {
  REQUIRE_ROOT();
  TempDir d;
  std::string marker = d.path() + "/daemon-alive";
  ::chmod(d.path().c_str(), 0777);
  RunOut r = run_cordon({"run", "--bind", d.path() + ":/out:rw", "--", "sh", "-c",
                         "(setsid sh -c 'sleep 1; touch /out/daemon-alive' &) ; exit 0"});
  EXPECT_EQ(r.status, 0) << r.err;
  ::sleep(2);
  EXPECT_NE(::access(marker.c_str(), F_OK), 0) << "the daemon ran after the sandbox ended";
}

// The supervisor forwards SIGTERM to the command and reports how it ended.
TEST(Lifecycle, SigtermIsForwardedToTheCommand) {
  REQUIRE_ROOT();
  TempDir d;
  std::string result = d.path() + "/r.json";
  pid_t sup = spawn_cordon({"run", "--result-file", result, "--", "sleep", "1000"});
  ASSERT_TRUE(wait_until(5000, [&] {
    auto init = children_of(sup);
    return init.size() == 1 && children_of(init[0]).size() == 1;
  }));
  ::kill(sup, SIGTERM);
  EXPECT_EQ(wait_exit(sup), 128 + SIGTERM);
  auto j = nlohmann::json::parse(read_file(result), nullptr, false);
  EXPECT_EQ(j["reason"], "signaled");
  EXPECT_EQ(j["signal"], SIGTERM);
}

}  // namespace
}  // namespace cordon::testing
