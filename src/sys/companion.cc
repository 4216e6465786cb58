#include "sys/companion.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string_view>

namespace cordon::sys {

namespace {

bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::string self_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  std::string self(buf, static_cast<size_t>(n));
  size_t slash = self.rfind('/');
  return slash == std::string::npos ? "" : self.substr(0, slash);
}

}  // namespace

Result<std::string> find_companion(const std::string& name, bool search_path) {
  std::string dir = self_dir();
  if (!dir.empty() && executable(dir + "/" + name)) return dir + "/" + name;
  std::string lib = std::string(kCompanionLibDir) + "/" + name;
  if (executable(lib)) return lib;
  if (search_path) {
    const char* path = std::getenv("PATH");
    std::string_view rest = path != nullptr ? path : "";
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view d = rest.substr(0, colon);
      rest = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
      // Only absolute entries: an empty or relative one would be the working directory's.
      if (d.empty() || d[0] != '/') continue;
      std::string candidate = std::string(d) + "/" + name;
      if (executable(candidate)) return candidate;
    }
  }
  return logic_error("find " + name, name,
                     "not beside cordon (" + (dir.empty() ? std::string("?") : dir) + "), in " +
                         kCompanionLibDir + (search_path ? " nor on PATH" : "") + " (install " +
                         name + " with cordon)");
}

}  // namespace cordon::sys
