#include "jobs/retention.h"

#include <optional>
#include <vector>

#include "base/log.h"

namespace cordon::jobs {

void Retention::expire(Job job) {
  if (auto st = remove_tree(files_of(job.id).dir); !st.ok()) {
    log(LogLevel::kWarn, "job " + job.id + ": " + st.error().to_string());
    return;
  }
  job.files_expired = true;
  (void)store_.update_job(job);
  forget(job.id);
}

void Retention::expire_old(int64_t now) {
  for (Job& j : store_.finished_with_files(now - retention_ms_)) expire(std::move(j));
}

void Retention::enforce(const std::string& tenant_id, uint64_t max_bytes, uint64_t max_entries) {
  auto finished = store_.finished_with_files(now_ms() + 1, tenant_id);
  DiskUsage total;
  std::vector<DiskUsage> usages;
  for (const auto& j : finished) {
    // An ended job's folder no longer changes: measured once, then remembered.
    std::optional<DiskUsage> known;
    {
      std::lock_guard lock(mu_);
      if (auto it = stored_.find(j.id); it != stored_.end()) known = it->second;
    }
    if (!known) {
      known = stored_usage(files_of(j.id));
      std::lock_guard lock(mu_);
      stored_[j.id] = *known;
    }
    usages.push_back(*known);
    total += *known;
  }
  for (size_t i = 0;
       i < finished.size() && (total.bytes > max_bytes || total.entries > max_entries); ++i) {
    total -= usages[i];
    expire(finished[i]);
  }
}

void Retention::forget(const std::string& job_id) {
  std::lock_guard lock(mu_);
  stored_.erase(job_id);
}

}  // namespace cordon::jobs
