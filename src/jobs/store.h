// The service's state: tenants, token hashes and jobs, in SQLite (WAL mode, so that a
// crash loses no committed write and readers never wait for the writer). Every write
// that changes a job's state is committed before the change is acted on or answered,
// so that a restart sees every job that a client was told about.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/result.h"
#include "jobs/model.h"

namespace SQLite {
class Database;
}

namespace cordon::jobs {

struct JobFilter {
  std::string tenant_id;          // empty: every tenant's
  std::optional<JobState> state;  // absent: every state
  int64_t after_seq = 0;          // pagination: jobs submitted after this one
  size_t limit = 100;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store();

  // Tenants. A new name that is taken: EEXIST.
  Status put_tenant(const Tenant& t);
  std::optional<Tenant> tenant(const std::string& id);
  std::optional<Tenant> tenant_by_name(const std::string& name);
  std::vector<Tenant> tenants();
  // The tenant, its tokens and its finished jobs' records.
  Status delete_tenant(const std::string& id);

  // Tokens, by the hash of their secret.
  Status add_token(const TokenInfo& info, const std::string& hash);
  std::optional<TokenInfo> token_by_hash(const std::string& hash);
  std::vector<TokenInfo> tokens(const std::string& tenant_id);
  Result<bool> delete_token(const std::string& tenant_id, const std::string& token_id);

  // Jobs. insert_job sets job->seq.
  Status insert_job(Job* job);
  Status update_job(const Job& job);
  std::optional<Job> job(const std::string& id);
  // The same, telling a failure to read apart from no such job.
  Result<std::optional<Job>> find_job(const std::string& id);
  // A job's spec rewritten (its inline files' contents dropped once it has ended).
  Status update_spec(const std::string& id, const JobSpec& spec);
  std::vector<Job> jobs(const JobFilter& filter);
  std::vector<Job> unfinished_jobs();  // queued and running, in submission order
  Status delete_job(const std::string& id);
  // Finished jobs whose files are still on disk, oldest first, ended before ended_before_ms.
  std::vector<Job> finished_with_files(int64_t ended_before_ms, const std::string& tenant_id = "");
  // Jobs per (tenant, state).
  std::vector<std::tuple<std::string, JobState, int64_t>> job_counts();

 private:
  explicit Store(std::unique_ptr<SQLite::Database> db);
  // The tenant whose column ("id" or "name": a constant, never input) equals value.
  std::optional<Tenant> tenant_where(const char* column, const std::string& value);
  std::mutex mu_;
  std::unique_ptr<SQLite::Database> db_;
};

// A job spec as the store keeps it (CBOR, in a BLOB column).
std::string encode_spec(const JobSpec& s);
std::optional<JobSpec> decode_spec(const std::string& bytes);

}  // namespace cordon::jobs
