// Matching a request's path against route templates ("/v1/jobs/{id}/files/{path*}"):
// a "{name}" is one path segment, a trailing "{name*}" the rest of the path. Pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cordon::api {

using Params = std::map<std::string, std::string>;

// The template's parameters when path matches it, or nullopt.
std::optional<Params> match_path(std::string_view pattern, std::string_view path);

}  // namespace cordon::api
