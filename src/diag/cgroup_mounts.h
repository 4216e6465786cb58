// The cgroup file systems in /proc/self/mountinfo. Pure.
#pragma once

#include <string_view>
#include <vector>

#include "diag/host_facts.h"

namespace cordon::diag {

// Every "cgroup" and "cgroup2" line of a mountinfo text, in order. Mount points have
// their octal escapes (\040 for a space) decoded. Malformed lines are skipped.
std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo);

}  // namespace cordon::diag
