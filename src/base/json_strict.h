// JSON from untrusted text, read one way only: nlohmann's parser, with the checks it
// lacks. A duplicate key is refused (with two values for one field, two readers of the
// same text could disagree about what was asked); so is nesting deeper than a bound (the
// parser itself does not recurse, but what reads the document afterwards may) and a NUL
// byte (nlohmann stops reading at one, so what follows would be ignored, not refused).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace cordon {

struct JsonError {
  std::string key;      // the duplicate key, when that is the reason
  std::string message;  // "not valid JSON", "duplicate key 'x'", ...
};

std::optional<nlohmann::json> parse_json_strict(std::string_view text, size_t max_depth,
                                                JsonError* error);

}  // namespace cordon
