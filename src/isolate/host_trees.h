// Parent side of the mount plan: the host trees that only the caller may open (the
// image, --bind sources) become detached mounts with their final attributes set here,
// on the host, before the child attaches them.
#pragma once

#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/mount_plan.h"

namespace cordon::isolate {

// One fd per kAttachTree step, in plan order. userns_fd: the sandbox's user namespace,
// for idmapped trees.
Result<std::vector<UniqueFd>> open_host_trees(const plan::MountPlan& plan, int userns_fd);

}  // namespace cordon::isolate
