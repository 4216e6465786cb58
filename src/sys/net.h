// Network interface setup inside a fresh network namespace.
#pragma once

#include "base/result.h"

namespace cordon::sys {

// Bring the loopback interface up (SIOCSIFFLAGS). Needs CAP_NET_ADMIN over the netns.
Status loopback_up();

}  // namespace cordon::sys
