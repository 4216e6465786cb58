// Landlock, as far as cordon uses it: which ABI the kernel has (`cordon doctor`).
#pragma once

#include "base/result.h"

namespace cordon::sys {

// landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the highest Landlock
// ABI the kernel supports (1 and up). No precondition: it creates nothing. ENOSYS: a
// kernel without Landlock; EOPNOTSUPP: built in but not enabled at boot (lsm=).
Result<int> landlock_abi_version();

}  // namespace cordon::sys
