// cordon's companion programs: the dynamic binaries the static cordon execs for what
// needs a library with no static form (cordon-client: libcurl; cordon-image: libarchive;
// cordon-net: libnftables).
#pragma once

#include <string>

#include "base/result.h"

namespace cordon::sys {

inline constexpr const char* kCompanionLibDir = "/usr/lib/cordon";

// Where the companion `name` is: beside this executable (/proc/self/exe), else in
// /usr/lib/cordon, else (only when search_path) on the absolute entries of PATH. A
// companion that runs with the host's privileges over a sandbox (cordon-net) is never
// looked for on PATH. The error says where it was looked for.
Result<std::string> find_companion(const std::string& name, bool search_path);

}  // namespace cordon::sys
