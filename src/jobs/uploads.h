// Tar uploads (plain, or gzip-compressed: stored decompressed) waiting for the job that will take
// them: checked when they arrive (they must parse), a few per tenant at once, counted against the
// tenant's submission rate, removed when a job takes them, when their tenant goes, or after an hour
// unused.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "jobs/model.h"
#include "jobs/refusal.h"
#include "jobs/scheduler.h"

namespace cordon::jobs {

inline constexpr size_t kMaxPendingUploads = 8;
inline constexpr int64_t kUploadTtlMs = 3600'000;
// A gzip upload decompresses to at most the tenant's job_disk plus room for the tar's
// headers and padding, and never more than kMaxUnpackedUpload (what a workspace reads).
inline constexpr uint64_t kTarOverheadBytes = 32ull << 20;
inline constexpr uint64_t kMaxUnpackedUpload = 1ull << 30;
uint64_t max_unpacked_upload(const Quota& quota);

class Uploads {
 public:
  Uploads(std::string dir, uint64_t max_bytes, TenantRates& rates)
      : dir_(std::move(dir)), max_bytes_(max_bytes), rates_(rates) {}

  // The uploads a previous run left wait again, for a full time to live from now.
  Status load();
  // The new upload's id, or a refusal.
  Result<std::string> store(const Tenant& tenant, const std::string& bytes, Refusal* refusal);
  // Moves an upload to dest for a job (each is used once); ENOENT when there is none.
  Status take(const std::string& tenant_id, const std::string& id, const std::string& dest);
  // The tenant is being deleted: no new upload is taken (reopen if the deletion fails).
  void close_tenant(const std::string& tenant_id);
  void reopen_tenant(const std::string& tenant_id);
  // The tenant is gone: its uploads are removed.
  void remove_tenant(const std::string& tenant_id);
  void expire(int64_t now_ms);

 private:
  struct Upload {
    std::string id;
    int64_t created_ms;
  };
  std::string path(const std::string& tenant_id, const std::string& id) const;
  void remove_if(const std::function<bool(const std::string& tenant, const Upload& u)>& which);

  const std::string dir_;
  const uint64_t max_bytes_;
  TenantRates& rates_;
  std::mutex mu_;
  // One .tar.gz is decompressed and checked at a time: the daemon holds at most one
  // decompressed upload (up to kMaxUnpackedUpload) beside the bodies it received.
  std::mutex unpack_mu_;
  std::map<std::string, std::vector<Upload>> waiting_;  // by tenant
  std::set<std::string> closed_;                        // tenants being deleted
};

}  // namespace cordon::jobs
