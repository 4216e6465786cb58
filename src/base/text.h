// Splitting the line-oriented text of /proc, /sys and /etc files.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cordon {

// The lines of text, without their '\n' (a last line without one included).
std::vector<std::string_view> split_lines(std::string_view text);

// "a:b:rest" split at the first two separators; the third field is the rest of the line
// (it may hold the separator). nullopt when there are fewer than two separators.
std::optional<std::array<std::string_view, 3>> split3(std::string_view line, char sep);

// A "Name: value" line of an HTTP response head, as libcurl hands it over: the name in
// lower case, the value without the blanks and line end around it. nullopt for a line
// that is not a field (the status line, the empty line ending the head).
std::optional<std::pair<std::string, std::string>> http_field_line(std::string_view line);

}  // namespace cordon
