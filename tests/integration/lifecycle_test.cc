// The end of a sandbox: nothing survives its supervisor, and a crash leaks no slot.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"

namespace cordon::testing {
namespace {

constexpr const char* kSlotDir = "/run/cordon/slots";
// The documented fallback range: 4096 slots of 65536 IDs from 2^31.
constexpr uint64_t kFallbackStart = 1ull << 31;
constexpr uint64_t kFallbackCount = 4096ull * 65536;

bool slot_is_free(uint64_t base) {
  std::string path = std::string(kSlotDir) + "/slot-" + std::to_string(base);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;  // removed at its release
  bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

// Invariants 1 and 5: SIGKILL of the supervisor leaves no process, mount or slot.
TEST(Lifecycle, SupervisorKilledLeavesNothingBehind) {
  REQUIRE_ROOT();
  std::string mounts_before = host_mountinfo_outside_tests();
  pid_t sup = spawn_cordon({"run", "--", "sh", "-c", "sleep 1000 & sleep 1000"});
  std::vector<pid_t> init, inside;
  // Both sleeps running: PID 1's descendants, whatever the shell made of the line.
  ASSERT_TRUE(wait_until(60000, [&] {
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
  EXPECT_TRUE(wait_until(60000, [&] {
    for (pid_t p : inside)
      if (process_exists(p)) return false;
    return !process_exists(init[0]);
  })) << "a sandbox process outlived its supervisor";
  EXPECT_TRUE(wait_until(60000, [&] { return slot_is_free(*base); })) << "slot leaked";
  EXPECT_EQ(host_mountinfo_outside_tests(), mounts_before);
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
  ASSERT_TRUE(wait_until(60000, [&] {
    auto init = children_of(sup);
    return init.size() == 1 && children_of(init[0]).size() == 1;
  }));
  ::kill(sup, SIGTERM);
  EXPECT_EQ(wait_exit(sup), 128 + SIGTERM);
  auto j = nlohmann::json::parse(read_file(result), nullptr, false);
  EXPECT_EQ(j["reason"], "signaled");
  EXPECT_EQ(j["signal"], SIGTERM);
}

// Slots are reused: the next sandbox in the same ID range (and so the same cgroup name)
// must find nothing of the previous one: files in its writable places, IPC objects,
// memory accounting. Every other slot is held, so the second start must take this one.
TEST(Lifecycle, NextSandboxInTheSameSlotInheritsNothing) {
  REQUIRE_ROOT();
  RunOut a = run_cordon(
      {"run", "--json", "--", "sh", "-c",
       "echo a > /tmp/a && echo a > /dev/shm/a && echo a > /root/a && ipcmk -M 4096 >/dev/null"
       " && ipcmk -Q >/dev/null && (sleep 1000 &) && python3 -c 'b = bytearray(48 << 20)'"});
  ASSERT_EQ(a.status, 0) << a.err;
  if (a.result["id_slot"]["source"] != "fallback") GTEST_SKIP() << "slots from /etc/subuid";
  const uint64_t base = a.result["id_slot"]["uid_base"].get<uint64_t>();
  EXPECT_GT(a.result["accounting"]["peak_memory_bytes"].get<uint64_t>(), 40u << 20);

  std::vector<std::pair<int, std::string>> held;
  for (uint64_t b = kFallbackStart; b < kFallbackStart + kFallbackCount; b += 65536) {
    if (b == base) continue;
    std::string path = std::string(kSlotDir) + "/slot-" + std::to_string(b);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    struct stat st;
    // A lock on a file its last holder unlinked meanwhile holds nothing (id_slot.h).
    if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &st) == 0 && st.st_nlink > 0)
      held.emplace_back(fd, path);
    else if (fd >= 0)
      ::close(fd);
  }
  RunOut b = run_cordon({"run", "--json", "--", "sh", "-c",
                         "ls -A /tmp /dev/shm /root; ipcs -m -q | grep -c '^0x'; true"});
  // Released as cordon releases a slot: unlinked under the lock, so no file is left.
  for (const auto& [fd, path] : held) {
    ::unlink(path.c_str());
    ::close(fd);
  }
  ASSERT_EQ(b.status, 0) << b.err;
  ASSERT_EQ(b.result["id_slot"]["uid_base"].get<uint64_t>(), base) << "another slot was taken";
  EXPECT_EQ(b.out.substr(0, b.out.rfind('\n', b.out.size() - 2) + 1),
            "/dev/shm:\n\n/root:\n\n/tmp:\n0\n")
      << b.out;
  EXPECT_LT(b.result["accounting"]["peak_memory_bytes"].get<uint64_t>(), 16u << 20);
}

}  // namespace
}  // namespace cordon::testing
