#include "base/json_values.h"

#include <string>

#include "base/parse.h"

namespace cordon {

std::optional<uint64_t> json_size(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (!v.is_string()) return std::nullopt;
  auto r = parse_size(v.get<std::string>());
  return r.ok() ? std::optional<uint64_t>(*r) : std::nullopt;
}

std::optional<uint64_t> json_duration_ns(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    uint64_t s = v.get<uint64_t>();
    if (s > 366ull * 24 * 3600) return std::nullopt;
    return s * 1000000000ull;
  }
  if (!v.is_string()) return std::nullopt;
  auto r = parse_duration_ns(v.get<std::string>());
  return r.ok() ? std::optional<uint64_t>(*r) : std::nullopt;
}

}  // namespace cordon
