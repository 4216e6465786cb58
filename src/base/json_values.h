// Values of the API's JSON documents that have two spellings (docs/api.md, "Limits and
// quotas"): one reading for every request that takes them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

namespace cordon {

// A size: bytes as a number, or a string such as "256M" or "1.5G" (base/parse.h).
std::optional<uint64_t> json_size(const nlohmann::json& v);
// A duration in nanoseconds: seconds as a number (at most 366 days), or a string such as
// "30s" or "1500ms".
std::optional<uint64_t> json_duration_ns(const nlohmann::json& v);

}  // namespace cordon
