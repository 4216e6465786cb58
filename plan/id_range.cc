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

std::vector<uint64_t> slot_bases(const std::vector<IdRange>& ranges) {
  std::vector<uint64_t> bases;
  for (const auto& r : ranges) {
    for (uint64_t off = 0; off + kSlotSize <= r.count; off += kSlotSize) {
      uint64_t base = r.start + off;
      // Root inside must not be host root, and a slot never covers ID 0.
      if (base == 0) continue;
      if (std::find(bases.begin(), bases.end(), base) == bases.end()) bases.push_back(base);
    }
  }
  return bases;
}

std::string id_map_line(uint64_t base) {
  return "0 " + std::to_string(base) + " " + std::to_string(kSlotSize) + "\n";
}

}  // namespace cordon::plan
