// The result of a run as JSON: the wire form that `cordon run --json` prints and the
// daemon stores and returns for a job. Field reference: docs/result.md.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/run.h"

namespace cordon::engine {

std::string result_to_json(const engine::RunResult& r);

// "EPERM" for 1; the number as text for one without a name.
std::string errno_name(int err);

// "seccomp denied: socket EPERM x2, clone3 ENOSYS x1" (--seccomp-report on stderr), from
// a result document's "seccomp" object: the same words whether the run was here or in
// a launcher.
std::string denial_summary(const nlohmann::json& seccomp);

}  // namespace cordon::engine
