// libFuzzer target for the REST API's path matching (api/router.h; see fuzz/README.md).
// The bytes are a request path, matched against templates of every form the route table
// uses: literal segments, "{name}" (one segment) and a trailing "{name*}" (the rest).
// A match must bind every parameter, to a non-empty value, a one-segment parameter
// holding no '/', and the template with its values put back must be the path itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/router.h"

namespace {

constexpr const char* kPatterns[] = {
    "/v1/tenants",
    "/v1/tenants/{tenant}",
    "/v1/tenants/{tenant}/tokens/{token}",
    "/v1/jobs/{id}",
    "/v1/jobs/{id}/files/{path*}",
    "/{a}/{b}",
    "/{rest*}",
    "/metrics",
};

// The template with its parameters' values in place, or "" if one is unbound.
std::string fill(std::string_view pattern, const cordon::api::Params& params) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    size_t open = pattern.find('{', i);
    if (open == std::string_view::npos) {
      out.append(pattern.substr(i));
      break;
    }
    size_t close = pattern.find('}', open);
    out.append(pattern.substr(i, open - i));
    std::string name(pattern.substr(open + 1, close - open - 1));
    if (!name.empty() && name.back() == '*') name.pop_back();
    auto it = params.find(name);
    if (it == params.end()) return "";
    out += it->second;
    i = close + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view path(reinterpret_cast<const char*>(data), size);
  for (std::string_view pattern : kPatterns) {
    auto params = cordon::api::match_path(pattern, path);
    if (!params) continue;
    for (const auto& [name, value] : *params) {
      if (value.empty()) std::abort();
      bool rest = pattern.find("{" + name + "*}") != std::string_view::npos;
      if (!rest && value.find('/') != std::string::npos) std::abort();
    }
    if (fill(pattern, *params) != path) std::abort();
  }
  return 0;
}
