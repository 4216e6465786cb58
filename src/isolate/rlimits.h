// Resource limits of the sandbox's processes (setrlimit), applied in the child before
// the privileges go: a user namespace may lower limits but never raise a hard one.
#pragma once

#include <vector>

#include "base/result.h"
#include "plan/launch_plan.h"

namespace cordon::isolate {

Status apply_rlimits(const std::vector<plan::RlimitSetting>& limits);

}  // namespace cordon::isolate
