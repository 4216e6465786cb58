// What ended jobs keep on disk, and for how long: their logs and files are removed after
// the retention period, and a tenant over what it may keep (bytes, entries) loses its
// oldest ended jobs' files first. The job records stay, saying their files expired.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "jobs/model.h"
#include "jobs/store.h"
#include "jobs/workspace.h"

namespace cordon::jobs {

class Retention {
 public:
  Retention(Store& store, std::string jobs_dir, int64_t retention_ms)
      : store_(store), jobs_dir_(std::move(jobs_dir)), retention_ms_(retention_ms) {}

  JobFiles files_of(const std::string& job_id) const { return JobFiles{jobs_dir_ + "/" + job_id}; }
  // Every ended job past the retention period loses its files.
  void expire_old(int64_t now_ms);
  // The tenant's ended jobs' files, oldest first, until it keeps at most max_bytes
  // allocated and max_entries entries.
  void enforce(const std::string& tenant_id, uint64_t max_bytes, uint64_t max_entries);
  // The job's files are gone (removed with the job or its tenant): forget their size.
  void forget(const std::string& job_id);

 private:
  void expire(Job job);

  Store& store_;
  const std::string jobs_dir_;
  const int64_t retention_ms_;
  std::mutex mu_;
  std::map<std::string, DiskUsage> stored_;  // by job: what an ended job keeps on disk
};

}  // namespace cordon::jobs
