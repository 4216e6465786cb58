#include "api/router.h"

namespace cordon::api {
namespace {

std::vector<std::string_view> segments(std::string_view p) {
  std::vector<std::string_view> out;
  size_t i = 0;
  if (!p.empty() && p[0] == '/') i = 1;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    out.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

std::optional<Params> match_path(std::string_view pattern, std::string_view path) {
  // An origin-form path starts at the root: "v1/jobs" is no route's path.
  if (path.empty() || path[0] != '/') return std::nullopt;
  auto pat = segments(pattern);
  auto got = segments(path);
  Params params;
  for (size_t i = 0; i < pat.size(); ++i) {
    std::string_view p = pat[i];
    bool param = p.size() > 2 && p.front() == '{' && p.back() == '}';
    if (param && p[p.size() - 2] == '*') {  // the rest of the path, at least one segment
      if (i >= got.size()) return std::nullopt;
      size_t start = 0;
      for (size_t k = 0; k < i; ++k) start += got[k].size() + 1;
      std::string_view rest = path.substr(start + 1);
      if (rest.empty()) return std::nullopt;
      params[std::string(p.substr(1, p.size() - 3))] = std::string(rest);
      return params;
    }
    if (i >= got.size()) return std::nullopt;
    if (param) {
      if (got[i].empty()) return std::nullopt;
      params[std::string(p.substr(1, p.size() - 2))] = std::string(got[i]);
    } else if (p != got[i]) {
      return std::nullopt;
    }
  }
  if (got.size() != pat.size()) return std::nullopt;
  return params;
}

}  // namespace cordon::api
