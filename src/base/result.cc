#include "base/result.h"

#include <cstring>

namespace cordon {

std::string Error::to_string() const {
  std::string s = step;
  if (!path.empty()) s += " " + path;
  if (!detail.empty()) s += ": " + detail;
  if (err != 0) s += std::string(": ") + std::strerror(err);
  return s;
}

}  // namespace cordon
