#include "base/parse.h"

#include <cctype>
#include <iterator>
#include <string>
#include <utility>

namespace cordon {
namespace {

using u128 = unsigned __int128;

Error bad(std::string_view what, std::string_view text, std::string_view expected) {
  return logic_error(std::string("parse ") + std::string(what), "'" + std::string(text) + "'",
                     std::string(expected));
}

// A non-negative decimal kept exact: value = digits / 10^scale. Floating point would
// turn "0.001s" into 999999 ns.
struct Decimal {
  u128 digits = 0;
  unsigned scale = 0;
};

constexpr unsigned kMaxDigits = 30;  // keeps digits * multiplier inside 128 bits

// Parses digits with an optional fraction at *pos. A point needs digits on both sides.
bool parse_decimal(std::string_view s, size_t* pos, Decimal* out) {
  size_t i = *pos;
  Decimal d;
  unsigned count = 0;
  size_t int_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    d.digits = d.digits * 10 + static_cast<unsigned>(s[i] - '0');
    ++int_digits;
    ++i;
    if (d.digits != 0 && ++count > kMaxDigits) return false;  // leading zeros are free
  }
  if (int_digits == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t frac_start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      d.digits = d.digits * 10 + static_cast<unsigned>(s[i] - '0');
      ++d.scale;
      ++i;
      if (d.scale > kMaxDigits || (d.digits != 0 && ++count > kMaxDigits)) return false;
    }
    if (i == frac_start) return false;
  }
  *pos = i;
  *out = d;
  return true;
}

u128 pow10(unsigned n) {
  u128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// value * multiplier, exactly; false when it is not whole or does not fit in 64 bits.
bool scale_exact(const Decimal& d, uint64_t multiplier, u128* out) {
  u128 num = d.digits * multiplier;
  u128 den = pow10(d.scale);
  if (num % den != 0) return false;
  *out = num / den;
  return true;
}

}  // namespace

Result<uint64_t> parse_size(std::string_view text) {
  constexpr std::string_view kExpected = "expected a size such as 512K, 64M, 1.5G";
  if (text.empty() || text.size() > 32) return bad("size", text, kExpected);
  size_t pos = 0;
  Decimal v;
  if (!parse_decimal(text, &pos, &v)) return bad("size", text, kExpected);
  std::string unit(text.substr(pos));
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  uint64_t mult = 1;
  if (!unit.empty() && unit != "B") {
    static constexpr std::string_view kUnits = "KMGT";
    size_t k = kUnits.find(unit[0]);
    std::string rest = unit.substr(1);
    if (k == std::string_view::npos ||
        !(rest.empty() || rest == "B" || rest == "I" || rest == "IB"))
      return bad("size", text, kExpected);
    mult = 1ull << (10 * (k + 1));
  }
  u128 bytes;
  if (!scale_exact(v, mult, &bytes)) return bad("size", text, "not a whole number of bytes");
  if (bytes > UINT64_MAX - 1) return bad("size", text, "too large");
  return static_cast<uint64_t>(bytes);
}

Result<uint64_t> parse_duration_ns(std::string_view text) {
  constexpr std::string_view kExpected = "expected a duration such as 500ms, 30s, 2m, 1h30m";
  if (text.empty() || text.size() > 32) return bad("duration", text, kExpected);
  struct Unit {
    std::string_view name;
    uint64_t ns;
  };
  // Largest first: "1h30m" is accepted, "30m1h" and "1s1s" are not.
  static constexpr Unit kUnits[] = {{"h", 3600'000'000'000ull}, {"m", 60'000'000'000ull},
                                    {"s", 1'000'000'000ull},    {"ms", 1'000'000ull},
                                    {"us", 1'000ull},           {"ns", 1ull}};
  size_t pos = 0;
  size_t next_unit = 0;  // units must come in decreasing size, each at most once
  u128 total = 0;
  while (pos < text.size()) {
    Decimal v;
    if (!parse_decimal(text, &pos, &v)) return bad("duration", text, kExpected);
    size_t u = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    std::string_view name = text.substr(u, pos - u);
    uint64_t mult = 0;
    if (name.empty()) {
      if (u != text.size() || next_unit != 0) return bad("duration", text, kExpected);
      mult = 1'000'000'000ull;  // a bare number: seconds
      next_unit = std::size(kUnits);
    } else {
      size_t i = next_unit;
      while (i < std::size(kUnits) && kUnits[i].name != name) ++i;
      if (i == std::size(kUnits)) return bad("duration", text, kExpected);
      mult = kUnits[i].ns;
      next_unit = i + 1;
    }
    u128 part;
    if (!scale_exact(v, mult, &part)) return bad("duration", text, "finer than a nanosecond");
    total += part;
    if (total > INT64_MAX) return bad("duration", text, "too long");
  }
  return static_cast<uint64_t>(total);
}

Result<uint64_t> parse_milli(std::string_view text) {
  constexpr std::string_view kExpected = "expected a number such as 0.5, 1 or 1.25";
  if (text.empty() || text.size() > 32) return bad("number", text, kExpected);
  size_t pos = 0;
  Decimal v;
  if (!parse_decimal(text, &pos, &v) || pos != text.size()) return bad("number", text, kExpected);
  u128 milli;
  if (!scale_exact(v, 1000, &milli)) return bad("number", text, "at most three decimals");
  if (milli > UINT32_MAX) return bad("number", text, "too large");
  return static_cast<uint64_t>(milli);
}

Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max) {
  std::string expected =
      "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
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

std::string format_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"", "K", "M", "G", "T"};
  size_t u = 0;
  while (u + 1 < std::size(kUnits) && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + kUnits[u];
}

std::string format_duration_ns(uint64_t ns) {
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {{3600'000'000'000ull, "h"},
                                                                {60'000'000'000ull, "m"},
                                                                {1'000'000'000ull, "s"},
                                                                {1'000'000ull, "ms"},
                                                                {1'000ull, "us"}};
  for (const auto& [size, name] : kUnits)
    if (ns != 0 && ns % size == 0) return std::to_string(ns / size) + name;
  return std::to_string(ns) + "ns";
}

std::string format_milli(uint64_t thousandths) {
  std::string out = std::to_string(thousandths / 1000);
  uint64_t frac = thousandths % 1000;
  if (frac == 0) return out;
  std::string digits = std::to_string(1000 + frac).substr(1);  // three, zero-padded
  while (digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

}  // namespace cordon
