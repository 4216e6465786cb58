#include "base/parse.h"

#include <cctype>
#include <cmath>
#include <string>

namespace cordon {
namespace {

Error bad(std::string_view what, std::string_view text, std::string_view expected) {
  return logic_error(std::string("parse ") + std::string(what), "'" + std::string(text) + "'",
                     std::string(expected));
}

// Parses a non-negative decimal with an optional fraction; returns chars consumed.
bool parse_decimal(std::string_view s, size_t* pos, long double* out) {
  size_t i = *pos;
  long double v = 0;
  bool digits = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    v = v * 10 + (s[i] - '0');
    digits = true;
    ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    long double scale = 0.1L;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      v += (s[i] - '0') * scale;
      scale /= 10;
      digits = true;
      ++i;
    }
  }
  if (!digits) return false;
  *pos = i;
  *out = v;
  return true;
}

}  // namespace

Result<uint64_t> parse_size(std::string_view text) {
  constexpr std::string_view kExpected = "expected a size such as 512K, 64M, 1.5G";
  if (text.empty() || text.size() > 32) return bad("size", text, kExpected);
  size_t pos = 0;
  long double v = 0;
  if (!parse_decimal(text, &pos, &v)) return bad("size", text, kExpected);
  std::string unit(text.substr(pos));
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  long double mult;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else {
    static constexpr std::string_view kUnits = "KMGT";
    size_t k = kUnits.find(unit[0]);
    std::string rest = unit.substr(1);
    if (k == std::string_view::npos || !(rest.empty() || rest == "B" || rest == "I" || rest == "IB"))
      return bad("size", text, kExpected);
    mult = std::pow(1024.0L, static_cast<long double>(k + 1));
  }
  long double bytes = v * mult;
  if (bytes >= 18446744073709551615.0L) return bad("size", text, "too large");
  if (mult == 1 && v != std::floor(v)) return bad("size", text, "a byte count must be whole");
  return static_cast<uint64_t>(bytes);
}

Result<uint64_t> parse_duration_ns(std::string_view text) {
  constexpr std::string_view kExpected = "expected a duration such as 500ms, 30s, 2m, 1h30m";
  if (text.empty() || text.size() > 32) return bad("duration", text, kExpected);
  size_t pos = 0;
  long double total = 0;
  bool first = true;
  while (pos < text.size()) {
    long double v = 0;
    if (!parse_decimal(text, &pos, &v)) return bad("duration", text, kExpected);
    size_t u = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    std::string_view unit = text.substr(u, pos - u);
    long double mult;
    if (unit.empty()) {
      if (!first || pos != text.size()) return bad("duration", text, kExpected);
      mult = 1e9L;  // bare number: seconds
    } else if (unit == "ns") {
      mult = 1;
    } else if (unit == "us") {
      mult = 1e3L;
    } else if (unit == "ms") {
      mult = 1e6L;
    } else if (unit == "s") {
      mult = 1e9L;
    } else if (unit == "m") {
      mult = 60e9L;
    } else if (unit == "h") {
      mult = 3600e9L;
    } else {
      return bad("duration", text, kExpected);
    }
    total += v * mult;
    first = false;
  }
  if (total >= 9.2e18L) return bad("duration", text, "too long");
  return static_cast<uint64_t>(total);
}

Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max) {
  std::string expected = "expected a whole number from " + std::to_string(min) + " to " +
                         std::to_string(max);
  if (text.empty() || text.size() > 20) return bad("number", text, expected);
  uint64_t v = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad("number", text, expected);
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return bad("number", text, expected);
    v = v * 10 + d;
  }
  if (v < min || v > max) return bad("number", text, expected);
  return v;
}

}  // namespace cordon
