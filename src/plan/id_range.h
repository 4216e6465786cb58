// Host ID ranges and their cut into per-sandbox slots (DESIGN.md section 5). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cordon::plan {

inline constexpr uint64_t kSlotSize = 65536;
// Used when /etc/subuid (or /etc/subgid) has no entry for root or a "cordon" user:
// 4096 slots from 2^31 up, far above the ranges that useradd hands out (100000 and up)
// and above systemd's dynamic and container ranges.
inline constexpr uint64_t kFallbackStart = 2147483648ull;
inline constexpr uint64_t kFallbackCount = 4096 * kSlotSize;
inline constexpr uint64_t kMaxHostId = 4294967294ull;  // (uid_t)-1 is not an ID

struct IdRange {
  uint64_t start = 0;
  uint64_t count = 0;
  bool operator==(const IdRange&) const = default;
};

// Parses subuid/subgid text ("name:start:count" lines) and returns the ranges whose
// owner is one of owners, in file order. Malformed lines and ranges that pass the
// top of the ID space are skipped.
std::vector<IdRange> parse_subid(std::string_view text, const std::vector<std::string>& owners);

// The IDs that are in both a and b, as ranges in order. A slot is the same 65,536
// numbers as UIDs and as GIDs (isolate/id_slot.h), so cordon uses the part of its subuid
// ranges that its subgid ranges hold too.
std::vector<IdRange> intersect(std::vector<IdRange> a, std::vector<IdRange> b);

// The slots of a set of ranges, computed on demand: a host may have thousands, and a
// start needs one. Overlapping or adjacent ranges are merged first, so no two slots ever
// share an ID; a slot that would contain ID 0 is left out.
class SlotSpace {
 public:
  explicit SlotSpace(std::vector<IdRange> ranges);
  size_t size() const { return total_; }
  uint64_t base(size_t index) const;  // precondition: index < size()

 private:
  struct Run {
    uint64_t first_base;
    size_t slots;
  };
  std::vector<Run> runs_;
  size_t total_ = 0;
};

// The bases of every slot of ranges, in order (SlotSpace enumerated).
std::vector<uint64_t> slot_bases(const std::vector<IdRange>& ranges);

// "0 BASE 65536\n": root inside is the slot's base; nothing maps below it.
std::string id_map_line(uint64_t base);

}  // namespace cordon::plan
