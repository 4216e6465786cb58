// ID slot locks against the real kernel (flock on files in a temporary directory):
// concurrent takers never share a slot, and a killed holder releases its slot.
#include "isolate/id_slot.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <set>

#include "harness.h"

namespace cordon::testing {
namespace {

isolate::SlotConfig small_config(const std::string& dir, uint64_t slots) {
  isolate::SlotConfig c;
  c.lock_dir = dir + "/slots";
  c.slots = plan::SlotSpace({{1000000, slots * plan::kSlotSize}});
  return c;
}

TEST(IdSlot, ConcurrentTakersGetDistinctSlotsUntilNoneIsLeft) {
  TempDir d;
  constexpr int kTakers = 8;
  auto config = small_config(d.path(), kTakers);
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> kids;
  // Holders are killed on every way out of the test, a failed assertion included.
  struct Reaper {
    std::vector<pid_t>* kids;
    ~Reaper() {
      for (pid_t p : *kids) ::kill(p, SIGKILL);
      for (pid_t p : *kids) ::waitpid(p, nullptr, 0);
      kids->clear();
    }
  };
  for (int i = 0; i < kTakers; ++i) {
    pid_t p = ::fork();
    if (p == 0) {
      ::close(go[1]);
      ::close(pipefd[0]);
      char c;
      ::read(go[0], &c, 1);  // all start at once, on the parent's EOF
      auto slot = isolate::take_slot(config);
      uint64_t base = slot.ok() ? slot->uid_base() : 0;
      ::write(pipefd[1], &base, sizeof(base));
      ::pause();  // hold the slot until killed
      ::_exit(0);
    }
    kids.push_back(p);
  }
  ::close(go[0]);
  ::close(go[1]);      // EOF releases every waiting taker together
  ::close(pipefd[1]);  // a taker that dies without a word is an EOF, not a hang
  std::optional<Reaper> reaper;
  reaper.emplace(&kids);
  std::set<uint64_t> bases;
  for (int i = 0; i < kTakers; ++i) {
    uint64_t base = 0;
    ASSERT_EQ(::read(pipefd[0], &base, sizeof(base)), static_cast<ssize_t>(sizeof(base)));
    EXPECT_NE(base, 0u) << "a taker found no slot while one was free";
    bases.insert(base);
  }
  EXPECT_EQ(bases.size(), static_cast<size_t>(kTakers));
  // Every slot is held: one more taker is refused, with a clear error.
  auto extra = isolate::take_slot(config);
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.error().to_string().find("in use"), std::string::npos);
  // The holders die by SIGKILL: their slots come back.
  reaper.reset();
  auto again = isolate::take_slot(config);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_TRUE(bases.count(again->uid_base()));
  EXPECT_EQ(again->gid_base(), again->uid_base());  // one range for both
  ::close(pipefd[0]);
}

TEST(IdSlot, ReleasedSlotIsTakenAgain) {
  TempDir d;
  auto config = small_config(d.path(), 1);
  auto first = isolate::take_slot(config);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_FALSE(isolate::take_slot(config).ok());
  first->release();
  EXPECT_TRUE(isolate::take_slot(config).ok());
}

TEST(IdSlot, FallbackRangeWhenSubidFilesHaveNoEntry) {
  TempDir d;
  std::string subuid = d.path() + "/subuid";
  FILE* f = std::fopen(subuid.c_str(), "w");
  std::fputs("someone:100000:65536\n", f);
  std::fclose(f);
  auto c = isolate::load_slot_config(subuid, d.path() + "/no-such-subgid");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->uid_fallback);
  EXPECT_TRUE(c->gid_fallback);
  EXPECT_EQ(c->slots.base(0), plan::kFallbackStart);
  EXPECT_EQ(c->slots.size(), 4096u);
}

// Root's ranges are other root-run managers' (LXC maps them): never cordon's.
TEST(IdSlot, RootsEntriesAreNeverUsed) {
  TempDir d;
  std::string path = d.path() + "/subid";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("root:100000:655360\n0:2000000:655360\n", f);
  std::fclose(f);
  auto c = isolate::load_slot_config(path, path);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->uid_fallback);
  EXPECT_EQ(c->slots.base(0), plan::kFallbackStart);
}

TEST(IdSlot, CordonEntriesWinOverRoots) {
  TempDir d;
  std::string path = d.path() + "/subid";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("root:100000:65536\ncordon:5000000:131072\n", f);
  std::fclose(f);
  auto c = isolate::load_slot_config(path, path);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->uid_fallback);
  EXPECT_EQ(c->slots.size(), 2u);
  EXPECT_EQ(c->slots.base(0), 5000000u);
  EXPECT_EQ(c->slots.base(1), 5000000u + 65536u);
}

// A slot is one range for UIDs and GIDs: only the IDs both files give cordon are used,
// and files with nothing in common are an error, not a silent pairing.
TEST(IdSlot, SlotsAreTheIdsBothFilesHold) {
  TempDir d;
  auto write = [&](const std::string& name, const std::string& text) {
    FILE* f = std::fopen((d.path() + "/" + name).c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return d.path() + "/" + name;
  };
  std::string uids = write("subuid", "cordon:5000000:262144\n");
  std::string gids = write("subgid", "cordon:5131072:262144\n");  // two slots further up
  auto c = isolate::load_slot_config(uids, gids);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->slots.size(), 2u);
  EXPECT_EQ(c->slots.base(0), 5131072u);
  std::string apart = write("apart", "cordon:9000000:262144\n");
  auto none = isolate::load_slot_config(uids, apart);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().to_string().find("in common"), std::string::npos)
      << none.error().to_string();
}

}  // namespace
}  // namespace cordon::testing
