#include "diag/kernel_version.h"

#include <cctype>

namespace cordon::diag {
namespace {

// A run of digits at pos, advanced past it; nullopt when there is none or it is too long.
std::optional<int> number_at(std::string_view s, size_t* pos) {
  size_t start = *pos;
  int v = 0;
  while (*pos < s.size() && std::isdigit(static_cast<unsigned char>(s[*pos])) != 0) {
    if (*pos - start >= 6) return std::nullopt;
    v = v * 10 + (s[*pos] - '0');
    ++*pos;
  }
  if (*pos == start) return std::nullopt;
  return v;
}

}  // namespace

bool KernelVersion::at_least(int maj, int min) const {
  if (major != maj) return major > maj;
  if (minor != min) return minor > min;
  return !rc;
}

std::string KernelVersion::numbers() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::optional<KernelVersion> parse_kernel_release(std::string_view text) {
  KernelVersion v;
  size_t pos = 0;
  auto major = number_at(text, &pos);
  if (!major || pos >= text.size() || text[pos] != '.') return std::nullopt;
  ++pos;
  auto minor = number_at(text, &pos);
  if (!minor) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  if (pos < text.size() && text[pos] == '.') {
    size_t after_dot = pos + 1;
    if (auto patch = number_at(text, &after_dot)) {
      v.patch = *patch;
      pos = after_dot;
    }
  }
  v.suffix = std::string(text.substr(pos));
  v.rc = v.suffix.rfind("-rc", 0) == 0;
  return v;
}

}  // namespace cordon::diag
