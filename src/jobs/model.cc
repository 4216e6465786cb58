#include "jobs/model.h"

#include "sys/clock.h"

namespace cordon::jobs {

namespace {
constexpr std::pair<JobState, const char*> kStates[] = {
    {JobState::kQueued, "queued"},       {JobState::kRunning, "running"},
    {JobState::kSucceeded, "succeeded"}, {JobState::kFailed, "failed"},
    {JobState::kCancelled, "cancelled"}, {JobState::kLost, "lost"},
};
}  // namespace

const char* state_name(JobState s) {
  for (const auto& [state, name] : kStates)
    if (state == s) return name;
  return "unknown";
}

std::optional<JobState> parse_state(std::string_view name) {
  for (const auto& [state, n] : kStates)
    if (name == n) return state;
  return std::nullopt;
}

int64_t now_ms() {
  return static_cast<int64_t>(sys::realtime_ns() / 1000000);
}

}  // namespace cordon::jobs
