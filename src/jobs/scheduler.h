// Which queued job starts next: pure, so that fairness is unit-tested exhaustively.
//
// Fairness between tenants: among the tenants whose oldest queued job fits their quota,
// the one served least recently goes first. A tenant with a thousand queued jobs is
// served once per round like any other, so another tenant's single job waits for at most
// one start of the flooding tenant (plus the jobs of others already waiting).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "jobs/model.h"

namespace cordon::jobs {

// A tenant's running jobs, summed.
struct TenantLoad {
  uint32_t running = 0;
  uint64_t memory = 0;
  uint32_t cpu_millis = 0;
  uint64_t last_served = 0;  // the dispatch counter at its last start; 0: never
};

// The running total of the tenant that job would go over ("max_running", "max_memory",
// "max_cpus"), or nullptr when it fits.
const char* over_running_quota(const Quota& quota, const TenantLoad& load, const JobSpec& job);

struct Candidate {
  std::string tenant_id;
  const Quota* quota = nullptr;
  TenantLoad load;
  const JobSpec* head = nullptr;  // its oldest queued job
  int64_t head_seq = 0;
};

// The index of the candidate whose head job starts next, or nullopt when none fits.
std::optional<size_t> pick_next(const std::vector<Candidate>& candidates);

// Submissions per minute: a token bucket holding up to `per_minute` submissions.
class RateLimiter {
 public:
  // Whether a submission at now_ms is allowed (and counts it if so).
  bool allow(uint32_t per_minute, int64_t now_ms);

 private:
  double tokens_ = -1;  // -1: full at the first call
  int64_t last_ms_ = 0;
};

// Each tenant's submission rate (jobs and uploads alike), safe to share between threads.
class TenantRates {
 public:
  bool allow(const std::string& tenant_id, uint32_t per_minute, int64_t now_ms);
  void forget(const std::string& tenant_id);

 private:
  std::mutex mu_;
  std::map<std::string, RateLimiter> rates_;
};

}  // namespace cordon::jobs
