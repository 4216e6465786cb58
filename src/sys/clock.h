// The monotonic clock and sleeping on it.
#pragma once

#include <cstdint>
#include <functional>

namespace cordon::sys {

// clock_gettime(CLOCK_MONOTONIC) in nanoseconds (the vDSO: no syscall, async-signal-safe).
uint64_t monotonic_ns() noexcept;
// clock_gettime(CLOCK_REALTIME): nanoseconds since the Unix epoch.
uint64_t realtime_ns() noexcept;
// nanosleep(2) for ns nanoseconds; a signal may end it early.
void sleep_ns(uint64_t ns) noexcept;
// Polls cond every 1 ms for its first 20 tries, then every 10 ms, for up to timeout_ms:
// whether it became true.
bool poll_until(uint64_t timeout_ms, const std::function<bool()>& cond);

}  // namespace cordon::sys
