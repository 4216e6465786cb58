// The last privilege steps before exec: after them the sandbox holds no capability in
// any set, cannot regain one through exec (root's special treatment is locked off), and
// has no_new_privs.
#pragma once

#include <sys/types.h>

#include "base/result.h"

namespace cordon::isolate {

// Becomes uid/gid inside with no supplementary groups, and empties every capability set.
Status drop_privileges(uid_t uid, gid_t gid);

}  // namespace cordon::isolate
