#include "base/text.h"

namespace cordon {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    lines.push_back(text.substr(pos, eol - pos));
    pos = eol + 1;
  }
  return lines;
}

std::optional<std::array<std::string_view, 3>> split3(std::string_view line, char sep) {
  size_t c1 = line.find(sep);
  if (c1 == std::string_view::npos) return std::nullopt;
  size_t c2 = line.find(sep, c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  return std::array<std::string_view, 3>{line.substr(0, c1), line.substr(c1 + 1, c2 - c1 - 1),
                                         line.substr(c2 + 1)};
}

}  // namespace cordon
