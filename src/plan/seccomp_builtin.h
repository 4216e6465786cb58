// The built-in filters (default and strict, plain and report mode), compiled at build
// time by tools/seccomp_gen: compiling with libseccomp costs about 2 ms, more than the
// rest of a sandbox start. The generated table is checked against a fresh compile by
// a unit test, so it cannot go stale unnoticed.
#pragma once

#include <optional>
#include <string_view>

#include "plan/seccomp_policy.h"

namespace cordon::plan {

// The compiled program of the built-in policy `name` ("default" or "strict"), or nullopt
// for another name.
std::optional<SeccompProgram> builtin_seccomp(std::string_view name, bool report);

}  // namespace cordon::plan
