// Child side of the mount plan: build the sandbox's root in a staging tmpfs and pivot
// into it. Runs as root of the sandbox's user namespace, in its own mount namespace.
#pragma once

#include <sys/types.h>

#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/mount_plan.h"

namespace cordon::isolate {

struct MountContext {
  std::vector<UniqueFd>* trees;  // from the parent, one per kAttachTree step
  uid_t uid;                     // owner of kMkdir steps with chown
  gid_t gid;
};

// Makes every mount private and returns a handle on the host's root, against which the
// plan's host paths are resolved.
Result<UniqueFd> enter_staging();
// Applies each step in order.
Status apply_mounts(const plan::MountPlan& plan, int host_root, const MountContext& ctx);
// Pivots into the new root and detaches the old one (the host's, with the staging tmpfs
// on it): nothing of the host stays reachable but what the plan bound in.
Status enter_new_root();

}  // namespace cordon::isolate
