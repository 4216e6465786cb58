// The result of a run as JSON: the wire form that `cordon run --json` prints and the
// service will return. Field reference: docs/result.md.
#pragma once

#include <string>

#include "engine/run.h"

namespace cordon::api {

std::string result_to_json(const engine::RunResult& r);

// "EPERM" for 1; the number as text for one without a name.
std::string errno_name(int err);

// "seccomp denied: socket EPERM x2, clone3 ENOSYS x1" (--seccomp-report on stderr).
std::string denial_summary(const engine::RunResult& r);

}  // namespace cordon::api
