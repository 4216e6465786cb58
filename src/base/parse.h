// Parsers for human-written quantities: sizes ("64M", "1.5G"), durations
// ("500ms", "2m", "1h30m"), integers in a range. Each rejects trailing junk,
// overflow and negative values, and names what it expected.
#pragma once

#include <cstdint>
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

}  // namespace cordon
