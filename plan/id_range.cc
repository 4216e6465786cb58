#include "plan/id_range.h"

#include <algorithm>
#include <charconv>

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
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view name = line.substr(0, c1);
    IdRange r;
    if (!parse_u64(line.substr(c1 + 1, c2 - c1 - 1), &r.start)) continue;
    if (!parse_u64(line.substr(c2 + 1), &r.count)) continue;
    if (r.count == 0 || r.start > kMaxHostId || r.count > kMaxHostId - r.start + 1) continue;
    if (std::find(owners.begin(), owners.end(), name) == owners.end()) continue;
    out.push_back(r);
  }
  return out;
}

SlotSpace::SlotSpace(std::vector<IdRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const IdRange& a, const IdRange& b) { return a.start < b.start; });
  std::vector<IdRange> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.start <= merged.back().start + merged.back().count) {
      uint64_t end = std::max(merged.back().start + merged.back().count, r.start + r.count);
      merged.back().count = end - merged.back().start;
    } else {
      merged.push_back(r);
    }
  }
  for (const auto& r : merged) {
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
