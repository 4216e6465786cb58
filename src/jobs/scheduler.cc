#include "jobs/scheduler.h"

#include <algorithm>

namespace cordon::jobs {

const char* over_running_quota(const Quota& q, const TenantLoad& load, const JobSpec& job) {
  if (load.running + 1 > q.max_running) return "max_running";
  if (load.memory + job.memory > q.max_memory) return "max_memory";
  if (load.cpu_millis + job.cpu_millis > q.max_cpu_millis) return "max_cpus";
  return nullptr;
}

std::optional<size_t> pick_next(const std::vector<Candidate>& candidates) {
  std::optional<size_t> best;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (c.head == nullptr || c.quota == nullptr) continue;
    if (over_running_quota(*c.quota, c.load, *c.head) != nullptr) continue;
    if (!best) {
      best = i;
      continue;
    }
    const Candidate& b = candidates[*best];
    // Least recently served first; between equals, the older job.
    if (c.load.last_served < b.load.last_served ||
        (c.load.last_served == b.load.last_served && c.head_seq < b.head_seq))
      best = i;
  }
  return best;
}

bool RateLimiter::allow(uint32_t per_minute, int64_t now_ms) {
  double cap = per_minute;
  if (tokens_ < 0) {
    tokens_ = cap;
    last_ms_ = now_ms;
  }
  double elapsed = static_cast<double>(std::max<int64_t>(0, now_ms - last_ms_));
  tokens_ = std::min(cap, tokens_ + elapsed * cap / 60000.0);
  last_ms_ = now_ms;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool TenantRates::allow(const std::string& tenant_id, uint32_t per_minute, int64_t now_ms) {
  std::lock_guard lock(mu_);
  return rates_[tenant_id].allow(per_minute, now_ms);
}

void TenantRates::forget(const std::string& tenant_id) {
  std::lock_guard lock(mu_);
  rates_.erase(tenant_id);
}

}  // namespace cordon::jobs
