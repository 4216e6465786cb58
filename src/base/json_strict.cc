#include "base/json_strict.h"

#include <set>
#include <vector>

namespace cordon {

using nlohmann::json;

std::optional<json> parse_json_strict(std::string_view text, size_t max_depth, JsonError* error) {
  *error = {};
  if (text.find('\0') != std::string_view::npos) {
    error->message = "contains a NUL byte";
    return std::nullopt;
  }
  std::vector<std::set<std::string>> keys;  // one set per open object
  auto guard = [&](int depth, json::parse_event_t event, json& parsed) {
    if (!error->message.empty()) return false;
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (static_cast<size_t>(depth) + 1 > max_depth) {
          error->message = "nested deeper than " + std::to_string(max_depth) + " levels";
          return false;
        }
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        return true;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        return true;
      case json::parse_event_t::key:
        if (!keys.empty() && parsed.is_string() &&
            !keys.back().insert(parsed.get_ref<const std::string&>()).second) {
          error->key = parsed.get_ref<const std::string&>();
          error->message = "duplicate key '" + error->key + "'";
          return false;
        }
        return true;
      default:
        return true;
    }
  };
  json doc = json::parse(text.begin(), text.end(), guard, /*allow_exceptions=*/false);
  if (!error->message.empty()) return std::nullopt;
  if (doc.is_discarded()) {
    error->message = "not valid JSON";
    return std::nullopt;
  }
  return doc;
}

}  // namespace cordon
