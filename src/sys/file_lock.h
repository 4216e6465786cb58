// A blocking exclusive lock on a whole file, for short critical sections between cordon
// processes (the registry of named sandboxes, isolate/sandbox_state.h).
#pragma once

#include "base/result.h"

namespace cordon::sys {

// flock(LOCK_EX), waiting for the holder (retrying EINTR). The kernel drops it when the
// last fd of the open file description is closed, so a holder that dies releases it.
Status lock_wait(int fd);

}  // namespace cordon::sys
