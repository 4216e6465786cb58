// plan/id_range.h: /etc/subuid parsing and the cut into 65536-ID slots.
#include "plan/id_range.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cordon::plan {
namespace {

const std::vector<std::string> kRootAndCordon = {"root", "cordon"};

// ---- parse_subid ----

TEST(ParseSubid, SingleLine) {
  auto r = parse_subid("root:100000:65536\n", kRootAndCordon);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (IdRange{100000, 65536}));
}

TEST(ParseSubid, LastLineWithoutNewline) {
  auto r = parse_subid("root:100000:65536", kRootAndCordon);
  EXPECT_EQ(r, (std::vector<IdRange>{{100000, 65536}}));
}

TEST(ParseSubid, FiltersByOwnerAndKeepsFileOrder) {
  const char* text =
      "alice:100000:65536\n"
      "cordon:300000:131072\n"
      "bob:165536:65536\n"
      "root:200000:65536\n"
      "rooter:400000:65536\n"
      "Root:500000:65536\n";
  auto r = parse_subid(text, kRootAndCordon);
  EXPECT_EQ(r, (std::vector<IdRange>{{300000, 131072}, {200000, 65536}}));
  EXPECT_EQ(parse_subid(text, {"bob"}), (std::vector<IdRange>{{165536, 65536}}));
  EXPECT_TRUE(parse_subid(text, {}).empty());
  EXPECT_TRUE(parse_subid(text, {"nobody"}).empty());
}

TEST(ParseSubid, MultipleRangesOfOneOwner) {
  const char* text =
      "root:100000:65536\n"
      "root:1000000:655360\n"
      "root:5000000:1\n";
  EXPECT_EQ(parse_subid(text, {"root"}),
            (std::vector<IdRange>{{100000, 65536}, {1000000, 655360}, {5000000, 1}}));
}

TEST(ParseSubid, SkipsCommentsAndEmptyLines) {
  const char* text =
      "# root:1:65536\n"
      "\n"
      "#root:2:65536\n"
      "root:100000:65536\n"
      "\n";
  EXPECT_EQ(parse_subid(text, {"root"}), (std::vector<IdRange>{{100000, 65536}}));
}

TEST(ParseSubid, SkipsMalformedLines) {
  const char* text =
      "root\n"
      "root:100000\n"
      "root:100000:\n"
      "root::65536\n"
      "root:abc:65536\n"
      "root:100000:6x\n"
      "root:-1:65536\n"
      "root:+1:65536\n"
      "root:100000:-65536\n"
      "root:100000:65536:extra\n"
      "root: 100000:65536\n"
      "root:100000:65536 \n"
      "root:0x10:65536\n"
      "root:1e5:65536\n"
      "root:200000:65536\n";  // the only good one
  EXPECT_EQ(parse_subid(text, {"root"}), (std::vector<IdRange>{{200000, 65536}}));
}

TEST(ParseSubid, SkipsZeroCount) {
  EXPECT_TRUE(parse_subid("root:100000:0\n", {"root"}).empty());
}

TEST(ParseSubid, RangeUpToTheTopOfTheIdSpace) {
  // Last usable ID is 4294967294; (uid_t)-1 is not an ID.
  EXPECT_EQ(parse_subid("root:4294967294:1\n", {"root"}), (std::vector<IdRange>{{kMaxHostId, 1}}));
  EXPECT_EQ(parse_subid("root:4294901759:65536\n", {"root"}),
            (std::vector<IdRange>{{4294901759ull, 65536}}));
  EXPECT_EQ(parse_subid("root:0:4294967295\n", {"root"}),
            (std::vector<IdRange>{{0, 4294967295ull}}));
}

TEST(ParseSubid, SkipsRangesPastTheTop) {
  EXPECT_TRUE(parse_subid("root:4294967294:2\n", {"root"}).empty());
  EXPECT_TRUE(parse_subid("root:4294967295:1\n", {"root"}).empty());
  EXPECT_TRUE(parse_subid("root:4294901760:65536\n", {"root"}).empty());
  EXPECT_TRUE(parse_subid("root:0:4294967296\n", {"root"}).empty());
  EXPECT_TRUE(parse_subid("root:18446744073709551615:1\n", {"root"}).empty());
  EXPECT_TRUE(parse_subid("root:1:18446744073709551615\n", {"root"}).empty());
  EXPECT_TRUE(parse_subid("root:1:99999999999999999999999\n", {"root"}).empty());
}

TEST(ParseSubid, EmptyText) {
  EXPECT_TRUE(parse_subid("", {"root"}).empty());
}

// ---- intersect ----

TEST(Intersect, TheIdsInBoth) {
  EXPECT_EQ(intersect({{100000, 200000}}, {{100000, 200000}}),
            (std::vector<IdRange>{{100000, 200000}}));
  EXPECT_EQ(intersect({{100000, 200000}}, {{150000, 200000}}),
            (std::vector<IdRange>{{150000, 150000}}));
  EXPECT_TRUE(intersect({{100000, 1000}}, {{200000, 1000}}).empty());
  EXPECT_TRUE(intersect({{100000, 1000}}, {}).empty());
  // Adjacent, not overlapping: nothing in common.
  EXPECT_TRUE(intersect({{100000, 1000}}, {{101000, 1000}}).empty());
}

TEST(Intersect, ManyRangesOnEitherSideInAnyOrder) {
  std::vector<IdRange> a = {{500, 100}, {0, 100}, {200, 200}};
  std::vector<IdRange> b = {{50, 200}, {350, 200}};
  EXPECT_EQ(intersect(a, b), (std::vector<IdRange>{{50, 50}, {200, 50}, {350, 50}, {500, 50}}));
  EXPECT_EQ(intersect(b, a), intersect(a, b));
  // Overlapping ranges on one side count once.
  EXPECT_EQ(intersect({{0, 100}, {50, 100}}, {{0, 1000}}), (std::vector<IdRange>{{0, 150}}));
}

TEST(Intersect, PairedSlotsAreTheSharedWholeSlots) {
  // subuid and subgid ranges shifted by half a slot: one whole slot in common.
  auto both = intersect({{1000000, 2 * kSlotSize}}, {{1000000 + kSlotSize / 2, 2 * kSlotSize}});
  EXPECT_EQ(slot_bases(both), (std::vector<uint64_t>{1000000 + kSlotSize / 2}));
}

// ---- slot_bases ----

TEST(SlotBases, OneExactSlot) {
  EXPECT_EQ(slot_bases({{100000, 65536}}), (std::vector<uint64_t>{100000}));
}

TEST(SlotBases, CutsIntoWholeSlotsAndDropsThePartialTail) {
  EXPECT_EQ(slot_bases({{100000, 3 * kSlotSize + 65535}}),
            (std::vector<uint64_t>{100000, 100000 + kSlotSize, 100000 + 2 * kSlotSize}));
}

TEST(SlotBases, RangeSmallerThanASlotGivesNothing) {
  EXPECT_TRUE(slot_bases({{100000, 65535}}).empty());
  EXPECT_TRUE(slot_bases({{100000, 1}}).empty());
  EXPECT_TRUE(slot_bases({}).empty());
}

TEST(SlotBases, SkipsBaseZero) {
  EXPECT_EQ(slot_bases({{0, 2 * kSlotSize}}), (std::vector<uint64_t>{kSlotSize}));
  EXPECT_TRUE(slot_bases({{0, kSlotSize}}).empty());
}

TEST(SlotBases, MultipleRangesInAscendingOrder) {
  EXPECT_EQ(slot_bases({{1000000, kSlotSize}, {100000, 2 * kSlotSize}}),
            (std::vector<uint64_t>{100000, 100000 + kSlotSize, 1000000}));
}

TEST(SlotBases, OverlappingRangesNeverShareAnId) {
  // Two ranges one ID apart: cut separately they would give slots 100000 and 100001,
  // which overlap in 65535 IDs. Merged they are [100000, 231073): two slots.
  EXPECT_EQ(slot_bases({{100000, 2 * kSlotSize}, {100001, 2 * kSlotSize}}),
            (std::vector<uint64_t>{100000, 100000 + kSlotSize}));
  // One range inside another.
  EXPECT_EQ(slot_bases({{100000, 4 * kSlotSize}, {100000 + 10, kSlotSize}}),
            (std::vector<uint64_t>{100000, 100000 + kSlotSize, 100000 + 2 * kSlotSize,
                                   100000 + 3 * kSlotSize}));
}

TEST(SlotBases, AdjacentRangesAreMerged) {
  // Two half slots side by side make one whole slot.
  EXPECT_EQ(slot_bases({{100000, kSlotSize / 2}, {100000 + kSlotSize / 2, kSlotSize / 2}}),
            (std::vector<uint64_t>{100000}));
  // Also when given in reverse order.
  EXPECT_EQ(slot_bases({{100000 + kSlotSize / 2, kSlotSize / 2}, {100000, kSlotSize / 2}}),
            (std::vector<uint64_t>{100000}));
}

TEST(SlotBases, SkipsTheSlotOfIdZeroAfterMerging) {
  // [0, 65536) and [65536, 196608) merge into [0, 196608): the slot at 0 is left out.
  EXPECT_EQ(slot_bases({{kSlotSize, 2 * kSlotSize}, {0, kSlotSize}}),
            (std::vector<uint64_t>{kSlotSize, 2 * kSlotSize}));
  EXPECT_TRUE(slot_bases({{0, kSlotSize + 100}}).empty());
}

// For any set of ranges: slots are whole, disjoint, inside the ranges and never hold ID 0.
TEST(SlotBases, SlotsAreDisjointAndInsideTheRanges) {
  const std::vector<std::vector<IdRange>> cases = {
      {{0, 10 * kSlotSize + 5}},
      {{100000, 3 * kSlotSize}, {150000, 3 * kSlotSize}, {90000, 20000}},
      {{5, kSlotSize}, {kSlotSize + 5, kSlotSize - 1}, {1, 7 * kSlotSize}},
      {{kFallbackStart, kFallbackCount}, {100000, 65536}, {kFallbackStart + 3, 12}},
      {{4294901759ull, kSlotSize}, {4294901759ull - kSlotSize, kSlotSize}},
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    const auto& ranges = cases[c];
    std::vector<uint64_t> bases = slot_bases(ranges);
    EXPECT_FALSE(bases.empty()) << "case " << c;
    for (size_t i = 0; i < bases.size(); ++i) {
      EXPECT_NE(bases[i], 0u) << "case " << c;
      if (i > 0) {
        EXPECT_GE(bases[i], bases[i - 1] + kSlotSize) << "case " << c << " slot " << i;
      }
      // Every ID of the slot is in some range.
      for (uint64_t id : {bases[i], bases[i] + kSlotSize / 2, bases[i] + kSlotSize - 1}) {
        bool inside = false;
        for (const auto& r : ranges) inside |= id >= r.start && id < r.start + r.count;
        EXPECT_TRUE(inside) << "case " << c << " id " << id;
      }
    }
  }
}

// ---- SlotSpace ----

TEST(SlotSpace, SizeAndBaseMatchSlotBases) {
  std::vector<IdRange> ranges = {{1000000, 3 * kSlotSize + 1},
                                 {0, 2 * kSlotSize},
                                 {500000, kSlotSize - 1},
                                 {600000, kSlotSize}};
  SlotSpace space(ranges);
  std::vector<uint64_t> bases = slot_bases(ranges);
  EXPECT_EQ(bases, (std::vector<uint64_t>{kSlotSize, 600000, 1000000, 1000000 + kSlotSize,
                                          1000000 + 2 * kSlotSize}));
  ASSERT_EQ(space.size(), bases.size());
  for (size_t i = 0; i < space.size(); ++i) EXPECT_EQ(space.base(i), bases[i]) << i;
}

TEST(SlotSpace, Empty) {
  EXPECT_EQ(SlotSpace({}).size(), 0u);
  EXPECT_EQ(SlotSpace({{100000, kSlotSize - 1}}).size(), 0u);
  EXPECT_EQ(SlotSpace({{0, kSlotSize}}).size(), 0u);
}

TEST(SlotSpace, FallbackRangeIndexing) {
  SlotSpace space({{kFallbackStart, kFallbackCount}});
  ASSERT_EQ(space.size(), 4096u);
  EXPECT_EQ(space.base(0), kFallbackStart);
  EXPECT_EQ(space.base(1), kFallbackStart + kSlotSize);
  EXPECT_EQ(space.base(4095), kFallbackStart + 4095 * kSlotSize);
}

TEST(SlotBases, RemovesDuplicates) {
  EXPECT_EQ(
      slot_bases({{100000, 2 * kSlotSize}, {100000, kSlotSize}, {100000 + kSlotSize, kSlotSize}}),
      (std::vector<uint64_t>{100000, 100000 + kSlotSize}));
}

TEST(SlotBases, FallbackRangeGives4096Slots) {
  auto bases = slot_bases({{kFallbackStart, kFallbackCount}});
  ASSERT_EQ(bases.size(), 4096u);
  EXPECT_EQ(bases.front(), kFallbackStart);
  EXPECT_EQ(bases.back(), kFallbackStart + 4095 * kSlotSize);
  EXPECT_LE(bases.back() + kSlotSize - 1, kMaxHostId);
}

TEST(SlotBases, TopOfIdSpace) {
  // The highest whole slot ends exactly at kMaxHostId.
  auto r = parse_subid("root:4294901759:65536\n", {"root"});
  EXPECT_EQ(slot_bases(r), (std::vector<uint64_t>{4294901759ull}));
}

TEST(SlotBases, FromParsedFile) {
  const char* text =
      "root:100000:200000\n"  // 3 whole slots, tail of 3392 dropped
      "alice:300000:65536\n"
      "cordon:1000000:65536\n";
  EXPECT_EQ(slot_bases(parse_subid(text, kRootAndCordon)),
            (std::vector<uint64_t>{100000, 165536, 231072, 1000000}));
}

// ---- id_map_line ----

TEST(IdMapLine, ExactText) {
  EXPECT_EQ(id_map_line(100000), "0 100000 65536\n");
  EXPECT_EQ(id_map_line(kFallbackStart), "0 2147483648 65536\n");
  EXPECT_EQ(id_map_line(4294901759ull), "0 4294901759 65536\n");
}

}  // namespace
}  // namespace cordon::plan
