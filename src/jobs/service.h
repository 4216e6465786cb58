// The job service: the queue, fair dispatch within quotas, one runner thread per running
// job (each hands its job's sandbox spec to the launcher), cancellation, recovery after a
// crash, and a graceful stop. Tenants and tokens (tenants.h), uploads (uploads.h) and
// what ended jobs keep on disk (retention.h) are parts of their own, each owning its
// state. The REST layer (rest/) calls only these; every state change is committed to the
// store before it is acted on. Refusals are domain kinds (refusal.h), not HTTP statuses.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "jobs/job_request.h"
#include "jobs/metrics.h"
#include "jobs/model.h"
#include "jobs/refusal.h"
#include "jobs/retention.h"
#include "jobs/runner.h"
#include "jobs/scheduler.h"
#include "jobs/store.h"
#include "jobs/tenants.h"
#include "jobs/uploads.h"
#include "jobs/workspace.h"

namespace cordon::jobs {

struct ServiceConfig {
  std::string state_dir = "/var/lib/cordon";      // jobs/, uploads/ and the database
  RunnerEnv runner;                               // the launcher's socket, images, cgroup parent
  uint32_t max_running = 8;                       // sandboxes at once on this host, all tenants
  int64_t retention_ms = 7 * 24 * 3600 * 1000ll;  // a finished job's logs and files
  int64_t cancel_grace_ms = 2000;                 // from SIGTERM to SIGKILL of a cancelled job
  uint64_t max_upload = 64ull << 20;
  Quota default_quota;  // of a tenant created without one
};

class Service {
 public:
  Service(ServiceConfig config, Store& store);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Recovery (queued jobs queued again; running ones marked lost, their sandboxes
  // killed), then the dispatcher.
  Status start();
  // No new job from now on; running jobs get grace_ms to end, then are killed (recorded
  // as cancelled, reason "daemon-stop"). Queued jobs stay queued for the next start.
  void stop(int64_t grace_ms);
  bool stopping() const { return stopping_.load(); }
  const ServiceConfig& config() const { return config_; }

  // Tenants and their tokens; uploads waiting for a job.
  Tenants& tenants() { return tenants_; }
  Uploads& uploads() { return uploads_; }
  // Its files, uploads and records; refused (kConflict) while it has unfinished jobs.
  Refusal delete_tenant(const std::string& id);

  // Jobs.
  Result<Job> submit(const Tenant& tenant, JobSpec spec, Refusal* refusal);
  std::optional<Job> job(const std::string& id) { return store_.job(id); }
  std::vector<Job> jobs(const JobFilter& filter) { return store_.jobs(filter); }
  Refusal cancel(const std::string& id);
  Refusal remove(const std::string& id);  // kConflict unless it ended
  JobFiles files_of(const std::string& id) const;
  // Returns when some job changed state or after timeout_ms (log followers).
  void wait_change(int timeout_ms);

  // The Prometheus text of the service.
  std::string metrics();

 private:
  struct Queued {
    std::string id;
    int64_t seq;
    int64_t created_ms;
    JobSpec sizes;  // memory and CPUs only: what quotas weigh
  };
  struct Running {
    std::string tenant_id;
    uint64_t memory = 0;
    uint32_t cpu_millis = 0;
    UniqueFd pidfd;  // the supervisor, once started
    pid_t pid = 0;   // its PID (for its sandbox's usage; signals go through pidfd)
    bool cancel = false;
    std::string cancel_reason;
    int64_t kill_at_ms = 0;  // SIGKILL due (after SIGTERM and the grace)
    bool killed = false;     // SIGKILL sent to its supervisor
    std::string kill_reason;
  };

  void recover();
  void dispatch_loop();
  void run_one(Job job);
  void on_started(const std::string& id, pid_t pid, UniqueFd pidfd);
  // Back to the front of its tenant's queue (a start that could not be tried).
  void requeue_locked(Job& job);
  void join_finished_locked();
  void finish(Job job, const RunOutcome& outcome);
  void kill_due(int64_t now_ms);
  // SIGKILL to a running job's supervisor, remembered with the reason its record will say.
  static void kill_running(Running& r, const char* reason);
  void enforce_storage_quota(const std::string& tenant_id);
  void drop_inputs(Job& job);
  void on_tenant_change(const Tenant& t);
  std::map<std::string, TenantLoad> loads_locked() const;
  uint32_t queued_count_locked(const std::string& tenant_id) const;

  ServiceConfig config_;
  Store& store_;
  TenantRates rates_;
  Tenants tenants_;
  Uploads uploads_;
  Retention retention_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;         // the dispatcher: work, a free slot, a deadline
  std::condition_variable change_cv_;  // any job changed state
  std::map<std::string, std::deque<Queued>> queues_;  // by tenant, oldest first
  std::map<std::string, Quota> quotas_;               // by tenant
  std::map<std::string, Running> running_;            // by job id
  std::map<std::string, uint64_t> last_served_;       // by tenant
  std::map<std::string, uint32_t> reserved_;          // by tenant: submissions under way
  std::set<std::string> deleting_;                    // tenants being deleted
  uint64_t dispatches_ = 0;
  size_t runners_ = 0;                           // runner threads alive
  std::map<std::string, std::thread> threads_;   // runner threads, by job id
  std::vector<std::string> finished_threads_;    // to be joined
  int64_t paused_until_ms_ = 0;                  // no dispatch before (the launcher is away)
  bool killing_ = false;                         // stop() is past its grace period
  std::map<std::string, uint64_t> cpu_done_ns_;  // by tenant: CPU time of its ended jobs
  std::thread dispatcher_;
  Histogram start_latency_, queue_wait_;
};

}  // namespace cordon::jobs
