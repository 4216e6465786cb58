#include "plan/id_range.h"

#include <algorithm>
#include <charconv>

#include "base/text.h"

namespace cordon::plan {
namespace {

bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::vector<IdRange> parse_subid(std::string_view text, const std::vector<std::string>& owners) {
  std::vector<IdRange> out;
  for (std::string_view line : split_lines(text)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split3(line, ':');  // "name:start:count"
    if (!f) continue;
    std::string_view name = (*f)[0];
    IdRange r;
    if (!parse_u64((*f)[1], &r.start)) continue;
    if (!parse_u64((*f)[2], &r.count)) continue;
    if (r.count == 0 || r.start > kMaxHostId || r.count > kMaxHostId - r.start + 1) continue;
    if (std::find(owners.begin(), owners.end(), name) == owners.end()) continue;
    out.push_back(r);
  }
  return out;
}

namespace {

// Sorted, with overlapping and adjacent ranges merged.
std::vector<IdRange> merged(std::vector<IdRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const IdRange& a, const IdRange& b) { return a.start < b.start; });
  std::vector<IdRange> out;
  for (const auto& r : ranges) {
    if (!out.empty() && r.start <= out.back().start + out.back().count) {
      uint64_t end = std::max(out.back().start + out.back().count, r.start + r.count);
      out.back().count = end - out.back().start;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace

std::vector<IdRange> intersect(std::vector<IdRange> a, std::vector<IdRange> b) {
  a = merged(std::move(a));
  b = merged(std::move(b));
  std::vector<IdRange> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    uint64_t start = std::max(a[i].start, b[j].start);
    uint64_t end_a = a[i].start + a[i].count, end_b = b[j].start + b[j].count;
    uint64_t end = std::min(end_a, end_b);
    if (start < end) out.push_back({start, end - start});
    (end_a < end_b ? i : j)++;
  }
  return out;
}

SlotSpace::SlotSpace(std::vector<IdRange> ranges) {
  for (const auto& r : merged(std::move(ranges))) {
    Run run{r.start, static_cast<size_t>(r.count / kSlotSize)};
    // Root inside must not be host root: a slot never covers ID 0.
    if (run.first_base == 0 && run.slots > 0) {
      run.first_base = kSlotSize;
      --run.slots;
    }
    if (run.slots == 0) continue;
    runs_.push_back(run);
    total_ += run.slots;
  }
}

uint64_t SlotSpace::base(size_t index) const {
  for (const auto& run : runs_) {
    if (index < run.slots) return run.first_base + index * kSlotSize;
    index -= run.slots;
  }
  return 0;
}

std::vector<uint64_t> slot_bases(const std::vector<IdRange>& ranges) {
  SlotSpace space(ranges);
  std::vector<uint64_t> bases;
  bases.reserve(space.size());
  for (size_t i = 0; i < space.size(); ++i) bases.push_back(space.base(i));
  return bases;
}

std::string id_map_line(uint64_t base) {
  return "0 " + std::to_string(base) + " " + std::to_string(kSlotSize) + "\n";
}

}  // namespace cordon::plan
