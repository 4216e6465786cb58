// The last privilege steps before exec. With --caps none the sandbox then holds no
// capability in any set and cannot regain one through exec (root's special treatment is
// locked off); by default root inside keeps the namespaced set of plan/caps_plan.h (as
// permitted and effective, and as the bounding set every exec of root is limited to),
// other UIDs none. no_new_privs either way.
#pragma once

#include <sys/types.h>

#include <vector>

#include "base/result.h"

namespace cordon::isolate {

// Becomes uid/gid inside with no supplementary groups; caps: the bounding set (empty:
// none at all).
// boot (--boot): the ambient-raise securebits are neither set nor locked, as the init
// sets the securebits of its services itself (systemd's SecureBits= and
// AmbientCapabilities=); the bounding set still bounds every capability of the sandbox.
Status drop_privileges(uid_t uid, gid_t gid, const std::vector<int>& caps, bool boot = false);

}  // namespace cordon::isolate
