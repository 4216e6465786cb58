// The lock files of ID slots live while their slot is held: a release removes the file
// when nobody else holds it, and a taker never keeps a lock on a file that a release
// unlinked under it (id_slot.h). Library tests against the real kernel, and one from
// outside with the cordon binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "harness.h"
#include "isolate/id_slot.h"

namespace cordon::testing {
namespace {

isolate::SlotConfig one_slot(const std::string& dir) {
  isolate::SlotConfig c;
  c.lock_dir = dir + "/slots";
  c.slots = plan::SlotSpace({{1000000, plan::kSlotSize}});
  return c;
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

TEST(IdSlotFile, ReleaseRemovesTheLockFile) {
  TempDir d;
  auto config = one_slot(d.path());
  std::string path = config.lock_dir + "/slot-1000000";
  {
    auto slot = isolate::take_slot(config);
    ASSERT_TRUE(slot.ok()) << slot.error().to_string();
    EXPECT_TRUE(exists(path));
    slot->release();
    EXPECT_FALSE(exists(path)) << "release left the lock file";
  }
  {
    auto slot = isolate::take_slot(config);  // taken again from nothing
    ASSERT_TRUE(slot.ok()) << slot.error().to_string();
    EXPECT_TRUE(exists(path));
  }  // the destructor releases too
  EXPECT_FALSE(exists(path)) << "the destructor left the lock file";
  // Moved-from slots release nothing; the moved-to one releases once.
  auto a = isolate::take_slot(config);
  ASSERT_TRUE(a.ok());
  isolate::IdSlot b = std::move(*a);
  a = isolate::IdSlot();
  EXPECT_TRUE(exists(path)) << "a moved-from slot released the lock";
  EXPECT_FALSE(isolate::take_slot(config).ok());
  b.release();
  EXPECT_FALSE(exists(path));
}

// The sandbox's PID 1 shares the supervisor's lock: the supervisor's release must not
// remove the file (a new taker would lock a new file while the sandbox lives).
TEST(IdSlotFile, FileStaysWhileAnotherHolderHasTheLock) {
  TempDir d;
  auto config = one_slot(d.path());
  std::string path = config.lock_dir + "/slot-1000000";
  auto slot = isolate::take_slot(config);
  ASSERT_TRUE(slot.ok());
  int shared = ::dup(slot->lock_fd());  // as PID 1 inherits it
  ASSERT_GE(shared, 0);
  slot->release();
  EXPECT_TRUE(exists(path));
  EXPECT_FALSE(isolate::take_slot(config).ok()) << "the slot was taken while still held";
  ::close(shared);
  auto next = isolate::take_slot(config);
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  next->release();
  EXPECT_FALSE(exists(path));
}

// A lock taken on a file that a release has unlinked holds nothing: a taker that opened
// the file before the unlink and locks it after must not count as the slot's holder.
TEST(IdSlotFile, LockOnAnUnlinkedFileDoesNotHoldTheSlot) {
  TempDir d;
  auto config = one_slot(d.path());
  std::string path = config.lock_dir + "/slot-1000000";
  auto slot = isolate::take_slot(config);
  ASSERT_TRUE(slot.ok());
  int early = ::open(path.c_str(), O_RDWR | O_CLOEXEC);  // opened before the release
  ASSERT_GE(early, 0);
  slot->release();
  EXPECT_FALSE(exists(path));
  ASSERT_EQ(::flock(early, LOCK_EX | LOCK_NB), 0);  // a lock on the unlinked file
  auto next = isolate::take_slot(config);
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  ::close(early);
}

// Several processes take and release the one slot as fast as they can: at no moment may
// two of them hold it (each holder checks a shared count while it holds the slot). The
// window where a taker opened a file that a release then unlinks is hit many times.
TEST(IdSlotFile, TakersRacingReleasesNeverShareTheSlot) {
  TempDir d;
  auto config = one_slot(d.path());
  struct Shared {
    std::atomic<int> holders;
    std::atomic<int> overlaps;
    std::atomic<int> stale;  // a lock on an unlinked file, taken for the slot's
    std::atomic<long> takes;
  };
  void* mem =
      ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* shared = new (mem) Shared{};
  constexpr int kProcs = 6;
  std::vector<pid_t> kids;
  for (int i = 0; i < kProcs; ++i) {
    pid_t p = ::fork();
    if (p == 0) {
      auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      while (std::chrono::steady_clock::now() < end) {
        auto slot = isolate::take_slot(config);
        if (!slot.ok()) continue;
        if (shared->holders.fetch_add(1) != 0) shared->overlaps.fetch_add(1);
        struct stat st;
        if (::fstat(slot->lock_fd(), &st) != 0 || st.st_nlink == 0) shared->stale.fetch_add(1);
        shared->takes.fetch_add(1);
        ::usleep(50);
        shared->holders.fetch_sub(1);
        slot->release();
      }
      ::_exit(0);
    }
    ASSERT_GT(p, 0);
    kids.push_back(p);
  }
  for (pid_t p : kids) EXPECT_EQ(wait_exit(p), 0);
  EXPECT_EQ(shared->overlaps.load(), 0) << "two processes held the slot at once";
  EXPECT_EQ(shared->stale.load(), 0) << "a lock on an unlinked file was taken for the slot";
  EXPECT_GT(shared->takes.load(), 100) << "the slot was hardly ever handed over";
  EXPECT_FALSE(exists(config.lock_dir + "/slot-1000000"));
  ::munmap(mem, sizeof(Shared));
}

// From outside: after each `cordon run`, the lock file of the slot it used is gone (or,
// if another sandbox took that slot since, held by it), and the directory does not grow
// with each run.
TEST(IdSlotFile, RunLeavesNoLockFileOfItsSlot) {
  REQUIRE_ROOT();
  const std::string dir = isolate::kDefaultSlotDir;
  auto count = [&] {
    auto r = run_program({"/usr/bin/find", dir, "-maxdepth", "1", "-name", "slot-*"});
    size_t n = 0;
    for (char c : r.out) n += c == '\n';
    return n;
  };
  size_t before = 0;
  constexpr int kRuns = 6;
  for (int i = 0; i < kRuns; ++i) {
    RunOut r = run_cordon({"run", "--json", "--", "true"});
    ASSERT_EQ(r.status, 0) << r.err;
    if (i == 0) before = count();
    uint64_t base = r.result["id_slot"]["uid_base"].get<uint64_t>();
    std::string path = dir + "/slot-" + std::to_string(base);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0) << path << " left behind, unheld";
      ::close(fd);
    } else {
      EXPECT_EQ(errno, ENOENT) << path;
    }
  }
  // Other tests' sandboxes come and go meanwhile: a loose bound, not one file per run.
  EXPECT_LT(count(), before + kRuns - 1) << "the slot directory grows with each run";
}

}  // namespace
}  // namespace cordon::testing
