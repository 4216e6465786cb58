// Parsers for human-written quantities: sizes ("64M", "1.5G"), durations
// ("500ms", "2m", "1h30m"), integers in a range. Each rejects trailing junk,
// overflow and negative values, and names what it expected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cordon {

// Bytes. Suffixes K, M, G, T (powers of 1024), with optional "i"/"iB"/"B"; bare = bytes.
Result<uint64_t> parse_size(std::string_view text);
// Nanoseconds. Units ns, us, ms, s, m, h; a bare number means seconds.
Result<uint64_t> parse_duration_ns(std::string_view text);
Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max);
// A decimal with at most three fraction digits, in thousandths: "1.5" -> 1500.
Result<uint64_t> parse_milli(std::string_view text);

// The inverses, for messages in the units a person writes: each returns text its parser
// reads back to the same value, in the largest unit that divides it exactly.
std::string format_size(uint64_t bytes);         // 268435456 -> "256M", 1000 -> "1000"
std::string format_duration_ns(uint64_t ns);     // 30000000000 -> "30s", 1500000 -> "1500us"
std::string format_milli(uint64_t thousandths);  // 10 -> "0.01", 2000 -> "2"

}  // namespace cordon
