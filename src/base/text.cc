#include "base/text.h"

#include <cctype>

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

std::optional<std::pair<std::string, std::string>> http_field_line(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ' ||
                            value.back() == '\t'))
    value.remove_suffix(1);
  return std::make_pair(std::move(name), std::string(value));
}

}  // namespace cordon
