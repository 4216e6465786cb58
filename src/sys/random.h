// The kernel's CSPRNG (getrandom(2)).
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"

namespace cordon::sys {

// n random bytes; blocks only before the pool is seeded at boot.
Result<std::string> random_bytes(size_t n);
// One getrandom(GRND_NONBLOCK) into buf: whether all len bytes came (an unseeded pool at
// boot, or a short read, gives false).
bool random_fill_nonblocking(void* buf, size_t len) noexcept;

}  // namespace cordon::sys
