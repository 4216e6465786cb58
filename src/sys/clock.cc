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

}  // namespace cordon::sys
