#include "sys/clock.h"

#include <ctime>

namespace cordon::sys {
namespace {
uint64_t to_ns(const struct timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

uint64_t monotonic_ns() noexcept {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return to_ns(ts);
}

uint64_t realtime_ns() noexcept {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return to_ns(ts);
}

void sleep_ns(uint64_t ns) noexcept {
  struct timespec pause = {static_cast<time_t>(ns / 1000000000ull),
                           static_cast<long>(ns % 1000000000ull)};
  ::nanosleep(&pause, nullptr);
}

bool poll_until(uint64_t timeout_ms, const std::function<bool()>& cond) {
  uint64_t start = monotonic_ns();
  for (int i = 0;; ++i) {
    if (cond()) return true;
    if ((monotonic_ns() - start) / 1000000 >= timeout_ms) return false;
    sleep_ns(i < 20 ? 1000000 : 10000000);
  }
}

}  // namespace cordon::sys
