#include "service/service.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "archive/tar.h"
#include "base/log.h"
#include "service/tokens.h"
#include "sys/daemon.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace cordon::service {
namespace {

// Retention is checked this often at most, and four times per retention period at least.
constexpr int64_t kJanitorEveryMs = 30'000;
constexpr int64_t kJanitorMinMs = 100;
constexpr int64_t kStopKillWaitMs = 30'000;

}  // namespace

int64_t now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Service::Service(ServiceConfig config, Store& store) : config_(std::move(config)), store_(store) {}

Service::~Service() {
  stop(0);
}

JobFiles Service::files_of(const std::string& id) const {
  return JobFiles{config_.state_dir + "/jobs/" + id};
}

Status Service::start() {
  TRY(sys::make_dirs(config_.state_dir + "/jobs", 0700));
  TRY(sys::make_dirs(config_.state_dir + "/uploads", 0700));
  for (const auto& t : store_.tenants()) quotas_[t.id] = t.quota;
  recover();
  dispatcher_ = std::thread([this] { dispatch_loop(); });
  return {};
}

// After a crash or a restart: what was queued is queued again; what was running is lost
// (its runner thread died with the old daemon), so its sandbox, if still alive, is
// killed and the job says so. Nothing unfinished is left without a record.
void Service::recover() {
  size_t requeued = 0, lost = 0;
  for (Job& j : store_.unfinished_jobs()) {
    if (j.state == JobState::kQueued) {
      JobSpec sizes;
      sizes.memory = j.spec.memory;
      sizes.cpu_millis = j.spec.cpu_millis;
      queues_[j.tenant_id].push_back({j.id, j.seq, j.created_ms, sizes});
      ++requeued;
      continue;
    }
    std::string fate = "its sandbox had already ended";
    if (j.supervisor_pid > 0 && j.supervisor_start != 0 &&
        sys::process_start_time(j.supervisor_pid) == j.supervisor_start) {
      auto pidfd = sys::pidfd_open(j.supervisor_pid);
      // The start time matched, so the pidfd names the same supervisor: killing it takes
      // its sandbox down (the sandbox's PID 1 has it as parent-death signal).
      if (pidfd.ok() && sys::pidfd_kill(pidfd->get(), SIGKILL).ok())
        fate = "its sandbox was killed";
    }
    (void)sys::unmount_detach(files_of(j.id).workspace());
    j.state = JobState::kLost;
    j.ended_ms = now_ms();
    j.reason = "lost: the daemon stopped while the job ran; " + fate;
    j.supervisor_pid = 0;
    (void)store_.update_job(j);
    ++lost;
  }
  if (requeued + lost > 0)
    log(LogLevel::kInfo, "recovery: " + std::to_string(requeued) + " queued job(s) queued again, " +
                             std::to_string(lost) + " running job(s) marked lost");
}

std::map<std::string, TenantLoad> Service::loads_locked() const {
  std::map<std::string, TenantLoad> loads;
  for (const auto& [id, r] : running_) {
    TenantLoad& l = loads[r.tenant_id];
    ++l.running;
    l.memory += r.memory;
    l.cpu_millis += r.cpu_millis;
  }
  for (const auto& [tenant, served] : last_served_) loads[tenant].last_served = served;
  return loads;
}

uint32_t Service::queued_count_locked(const std::string& tenant_id) const {
  auto it = queues_.find(tenant_id);
  return it == queues_.end() ? 0 : static_cast<uint32_t>(it->second.size());
}

void Service::dispatch_loop() {
  int64_t next_janitor = 0;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    int64_t now = now_ms();
    kill_due(now);
    if (now >= next_janitor) {
      lock.unlock();
      expire_files(now);
      lock.lock();
      next_janitor =
          now + std::clamp<int64_t>(config_.retention_ms / 4, kJanitorMinMs, kJanitorEveryMs);
      continue;
    }
    std::optional<size_t> pick;
    std::vector<Candidate> candidates;
    if (running_.size() < config_.max_running) {
      auto loads = loads_locked();
      for (auto& [tenant, q] : queues_) {
        if (q.empty() || !quotas_.count(tenant)) continue;
        candidates.push_back(
            {tenant, &quotas_[tenant], loads[tenant], &q.front().sizes, q.front().seq});
      }
      pick = pick_next(candidates);
    }
    if (!pick) {
      int64_t wake = next_janitor;
      for (const auto& [id, r] : running_)
        if (r.kill_at_ms != 0) wake = std::min(wake, r.kill_at_ms);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, wake - now)));
      continue;
    }
    const std::string tenant = candidates[*pick].tenant_id;
    Queued next = queues_[tenant].front();
    queues_[tenant].pop_front();
    auto job = store_.job(next.id);
    if (!job || job->state != JobState::kQueued) continue;  // cancelled or removed meanwhile
    job->state = JobState::kRunning;
    job->started_ms = now_ms();
    if (auto st = store_.update_job(*job); !st.ok()) {
      log(LogLevel::kError, "job " + job->id + ": " + st.error().to_string());
      queues_[tenant].push_front(next);  // tried again at the next wake-up
      cv_.wait_for(lock, std::chrono::milliseconds(500));
      continue;
    }
    Running& r = running_[job->id];
    r.tenant_id = tenant;
    r.memory = job->spec.memory;
    r.cpu_millis = job->spec.cpu_millis;
    last_served_[tenant] = ++dispatches_;
    queue_wait_.observe(static_cast<double>(job->started_ms - job->created_ms) / 1000.0);
    ++runners_;
    change_cv_.notify_all();
    std::thread([this, j = std::move(*job)]() mutable {
      int64_t started = now_ms();
      run_one(std::move(j), started);
    }).detach();
  }
}

void Service::run_one(Job job, int64_t dispatch_ms) {
  struct timespec t0;
  ::clock_gettime(CLOCK_MONOTONIC, &t0);
  int64_t started_us = -1;
  auto outcome = run_job(job, files_of(job.id), config_.runner, [&](pid_t pid) {
    struct timespec t1;
    ::clock_gettime(CLOCK_MONOTONIC, &t1);
    started_us = (t1.tv_sec - t0.tv_sec) * 1000000ll + (t1.tv_nsec - t0.tv_nsec) / 1000;
    on_started(job.id, pid);
  });
  (void)dispatch_ms;
  // Start latency: from leaving the queue to the command's exec (the launcher's handoff
  // and the workspace here, then the sandbox's own start from its timings).
  if (started_us >= 0 && outcome.sandbox_start_us >= 0)
    start_latency_.observe(static_cast<double>(started_us + outcome.sandbox_start_us) / 1e6);
  finish(std::move(job), outcome);
}

void Service::on_started(const std::string& id, pid_t pid) {
  auto pidfd = sys::pidfd_open(pid);
  uint64_t start = sys::process_start_time(pid);
  std::unique_lock lock(mu_);
  auto it = running_.find(id);
  if (it == running_.end() || !pidfd.ok()) return;
  it->second.pidfd = std::move(pidfd).value();
  if (it->second.cancel) {  // cancelled before its supervisor was known
    (void)sys::pidfd_kill(it->second.pidfd.get(), SIGTERM);
    it->second.kill_at_ms = now_ms() + config_.cancel_grace_ms;
    cv_.notify_all();
  }
  lock.unlock();
  auto job = store_.job(id);
  if (!job) return;
  job->supervisor_pid = pid;
  job->supervisor_start = start;
  (void)store_.update_job(*job);
}

void Service::finish(Job job, const RunOutcome& o) {
  std::unique_lock lock(mu_);
  auto it = running_.find(job.id);
  bool cancelled = it != running_.end() && it->second.cancel;
  std::string cancel_reason = cancelled ? it->second.cancel_reason : "";
  if (it != running_.end()) running_.erase(it);
  lock.unlock();
  // The store holds what the job's record says now (its supervisor's PID).
  if (auto stored = store_.job(job.id)) job = std::move(*stored);
  if (cancelled) {
    job.state = JobState::kCancelled;
    job.reason = cancel_reason;
  } else {
    job.state = o.exit_status == 0 ? JobState::kSucceeded : JobState::kFailed;
    job.reason = o.reason;
  }
  job.exit_status = o.exit_status;
  job.result_json = o.result_json;
  job.ended_ms = now_ms();
  job.supervisor_pid = 0;
  if (auto st = store_.update_job(job); !st.ok())
    log(LogLevel::kError, "job " + job.id + ": " + st.error().to_string());
  enforce_log_quota(job.tenant_id);
  lock.lock();
  --runners_;
  cv_.notify_all();
  change_cv_.notify_all();
}

void Service::kill_due(int64_t now) {
  for (auto& [id, r] : running_) {
    if (r.kill_at_ms == 0 || now < r.kill_at_ms || !r.pidfd.valid()) continue;
    (void)sys::pidfd_kill(r.pidfd.get(), SIGKILL);
    r.kill_at_ms = 0;
  }
}

void Service::expire(Job job) {
  if (auto st = remove_tree(files_of(job.id).dir); !st.ok()) {
    log(LogLevel::kWarn, "job " + job.id + ": " + st.error().to_string());
    return;
  }
  job.files_expired = true;
  (void)store_.update_job(job);
}

void Service::expire_files(int64_t now) {
  for (Job& j : store_.finished_with_files(now - config_.retention_ms)) expire(std::move(j));
}

// A tenant's logs over its quota: its oldest finished jobs' files go first.
void Service::enforce_log_quota(const std::string& tenant_id) {
  uint64_t cap;
  {
    std::lock_guard lock(mu_);
    auto q = quotas_.find(tenant_id);
    if (q == quotas_.end()) return;
    cap = q->second.log_bytes;
  }
  auto finished = store_.finished_with_files(now_ms() + 1, tenant_id);
  uint64_t total = 0;
  std::vector<uint64_t> sizes;
  for (const auto& j : finished) {
    sizes.push_back(logs_size(files_of(j.id)));
    total += sizes.back();
  }
  for (size_t i = 0; i < finished.size() && total > cap; ++i) {
    total -= sizes[i];
    expire(finished[i]);
  }
}

Result<Tenant> Service::create_tenant(const TenantRequest& r) {
  Tenant t;
  ASSIGN_OR_RETURN(t.id, new_id("t-", 16));
  t.name = r.name;
  t.quota = r.quota;
  t.created_ms = now_ms();
  TRY(store_.put_tenant(t));
  std::lock_guard lock(mu_);
  quotas_[t.id] = t.quota;
  return t;
}

Result<Tenant> Service::update_tenant(const Tenant& t) {
  TRY(store_.put_tenant(t));
  std::lock_guard lock(mu_);
  quotas_[t.id] = t.quota;
  cv_.notify_all();  // a raised quota may let a queued job start
  return t;
}

Refusal Service::delete_tenant(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    bool busy = queued_count_locked(id) > 0;
    for (const auto& [job, r] : running_) busy = busy || r.tenant_id == id;
    if (busy) return {409, "", "the tenant has queued or running jobs: cancel them first"};
  }
  JobFilter f;
  f.tenant_id = id;
  f.limit = 1000;
  for (;;) {
    auto jobs = store_.jobs(f);
    if (jobs.empty()) break;
    for (const auto& j : jobs) (void)remove_tree(files_of(j.id).dir);
    f.after_seq = jobs.back().seq;
  }
  if (auto st = store_.delete_tenant(id); !st.ok()) return {500, "", st.error().to_string()};
  std::lock_guard lock(mu_);
  quotas_.erase(id);
  queues_.erase(id);
  rates_.erase(id);
  last_served_.erase(id);
  return {};
}

Result<std::pair<std::string, TokenInfo>> Service::issue_token(const std::string& tenant_id) {
  ASSIGN_OR_RETURN(std::string secret, new_token());
  TokenInfo info;
  ASSIGN_OR_RETURN(info.id, new_id("k-", 16));
  info.tenant_id = tenant_id;
  info.created_ms = now_ms();
  TRY(store_.add_token(info, token_hash(secret)));
  return std::make_pair(secret, info);
}

Result<Job> Service::submit(const Tenant& tenant, JobSpec spec, Refusal* refusal) {
  if (stopping_) {
    *refusal = {503, "", "the daemon is stopping"};
    return errno_error(ESHUTDOWN, "submit");
  }
  const Quota& q = tenant.quota;
  if (over_running_quota(q, TenantLoad{}, spec) != nullptr) {
    *refusal = {422, over_running_quota(q, TenantLoad{}, spec),
                "the job alone is over the tenant's running totals: it could never start"};
    return errno_error(EINVAL, "submit");
  }
  Job job;
  ASSIGN_OR_RETURN(job.id, new_id("j-", 24));
  job.tenant_id = tenant.id;
  job.created_ms = now_ms();
  {
    std::lock_guard lock(mu_);
    if (queued_count_locked(tenant.id) >= q.max_queued) {
      *refusal = {429, "max_queued", "the tenant's queue is full"};
      return errno_error(EAGAIN, "submit");
    }
    if (!q.queue_when_busy) {
      auto loads = loads_locked();
      if (const char* over = over_running_quota(q, loads[tenant.id], spec)) {
        *refusal = {429, over, "over the tenant's quota (and it does not queue)"};
        return errno_error(EAGAIN, "submit");
      }
    }
    // Last: a submission refused for another reason does not use up the rate.
    if (!rates_[tenant.id].allow(q.rate_per_minute, job.created_ms)) {
      *refusal = {429, "rate_per_minute", "over the tenant's submission rate"};
      return errno_error(EAGAIN, "submit");
    }
  }
  JobFiles files = files_of(job.id);
  TRY(sys::make_dirs(files.dir, 0700));
  if (!spec.upload.empty()) {
    std::string from = config_.state_dir + "/uploads/" + tenant.id + "-" + spec.upload + ".tar";
    if (!sys::rename_path(from, files.input_tar()).ok()) {
      (void)remove_tree(files.dir);
      *refusal = {400, "upload", "no such upload (each is used by one job)"};
      return errno_error(ENOENT, "upload", spec.upload);
    }
  }
  job.spec = std::move(spec);
  if (auto st = store_.insert_job(&job); !st.ok()) {
    (void)remove_tree(files.dir);
    *refusal = {500, "", st.error().to_string()};
    return st.error();
  }
  std::lock_guard lock(mu_);
  JobSpec sizes;
  sizes.memory = job.spec.memory;
  sizes.cpu_millis = job.spec.cpu_millis;
  queues_[tenant.id].push_back({job.id, job.seq, job.created_ms, sizes});
  quotas_[tenant.id] = tenant.quota;
  cv_.notify_all();
  return job;
}

Result<std::string> Service::store_upload(const Tenant& tenant, const std::string& bytes,
                                          Refusal* refusal) {
  if (bytes.size() > config_.max_upload) {
    *refusal = {413, "", "the upload is over " + std::to_string(config_.max_upload) + " bytes"};
    return errno_error(E2BIG, "upload");
  }
  archive::TarLimits limits;
  limits.max_total_bytes = tenant.quota.job_disk;
  limits.max_file_bytes = tenant.quota.job_disk;
  auto parsed = archive::parse_tar(bytes, limits);
  if (!parsed.ok()) {
    *refusal = {400, "", "not an acceptable tar archive: " + parsed.error().to_string()};
    return parsed.error();
  }
  ASSIGN_OR_RETURN(std::string id, new_id("u-", 24));
  std::string path = config_.state_dir + "/uploads/" + tenant.id + "-" + id + ".tar";
  auto fd = sys::open_path(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  Status written = fd.ok() ? sys::write_all(fd->get(), bytes, path) : Status(fd.error());
  if (!written.ok()) {
    (void)sys::unlink_path(path);
    *refusal = {500, "", written.error().to_string()};
    return written.error();
  }
  return id;
}

Refusal Service::cancel(const std::string& id) {
  std::unique_lock lock(mu_);
  auto r = running_.find(id);
  if (r != running_.end()) {
    if (r->second.cancel) return {};
    r->second.cancel = true;
    r->second.cancel_reason = "cancelled";
    if (r->second.pidfd.valid()) {
      (void)sys::pidfd_kill(r->second.pidfd.get(), SIGTERM);
      r->second.kill_at_ms = now_ms() + config_.cancel_grace_ms;
      cv_.notify_all();
    }
    return {};
  }
  auto job = store_.job(id);
  if (!job) return {404, "", "no such job"};
  if (is_terminal(job->state)) return {409, "", "the job has ended already"};
  if (job->state == JobState::kQueued) {
    auto& q = queues_[job->tenant_id];
    q.erase(std::remove_if(q.begin(), q.end(), [&](const Queued& x) { return x.id == id; }),
            q.end());
    job->state = JobState::kCancelled;
    job->reason = "cancelled";
    job->ended_ms = now_ms();
    if (auto st = store_.update_job(*job); !st.ok()) return {500, "", st.error().to_string()};
    change_cv_.notify_all();
  }
  return {};
}

Refusal Service::remove(const std::string& id) {
  auto job = store_.job(id);
  if (!job) return {404, "", "no such job"};
  if (!is_terminal(job->state)) return {409, "", "the job has not ended: cancel it first"};
  if (auto st = remove_tree(files_of(id).dir); !st.ok()) return {500, "", st.error().to_string()};
  if (auto st = store_.delete_job(id); !st.ok()) return {500, "", st.error().to_string()};
  return {};
}

void Service::wait_change(int timeout_ms) {
  std::unique_lock lock(mu_);
  change_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms));
}

void Service::stop(int64_t grace_ms) {
  std::unique_lock lock(mu_);
  if (stopping_.exchange(true)) {
    // Already stopped (or stopping): only wait for the dispatcher, once.
  }
  cv_.notify_all();
  change_cv_.notify_all();
  change_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(grace_ms, 0)),
                      [&] { return runners_ == 0; });
  for (auto& [id, r] : running_) {
    r.cancel = true;
    r.cancel_reason = "daemon-stop: killed after the grace period";
    if (r.pidfd.valid()) (void)sys::pidfd_kill(r.pidfd.get(), SIGKILL);
  }
  change_cv_.wait_for(lock, std::chrono::milliseconds(kStopKillWaitMs),
                      [&] { return runners_ == 0; });
  lock.unlock();
  if (dispatcher_.joinable()) dispatcher_.join();
}

std::string Service::metrics() {
  std::map<std::string, std::string> names;
  for (const auto& t : store_.tenants()) names[t.id] = t.name;
  auto tenant = [&](const std::string& id) {
    auto it = names.find(id);
    return label_value(it == names.end() ? id : it->second);
  };
  std::string out = "# HELP cordon_jobs Jobs by tenant and state.\n# TYPE cordon_jobs gauge\n";
  for (const auto& [t, state, n] : store_.job_counts())
    out += "cordon_jobs{tenant=\"" + tenant(t) + "\",state=\"" + state_name(state) + "\"} " +
           std::to_string(n) + "\n";
  std::map<std::string, TenantLoad> loads;
  size_t running;
  {
    std::lock_guard lock(mu_);
    loads = loads_locked();
    running = running_.size();
  }
  out +=
      "# HELP cordon_sandboxes_running Sandboxes running now.\n# TYPE cordon_sandboxes_running "
      "gauge\n";
  out += "cordon_sandboxes_running " + std::to_string(running) + "\n";
  out +=
      "# HELP cordon_tenant_memory_bytes Memory limits of a tenant's running jobs, summed.\n"
      "# TYPE cordon_tenant_memory_bytes gauge\n";
  for (const auto& [t, l] : loads)
    out += "cordon_tenant_memory_bytes{tenant=\"" + tenant(t) + "\"} " + std::to_string(l.memory) +
           "\n";
  out +=
      "# HELP cordon_tenant_cpus CPU quotas of a tenant's running jobs, summed.\n"
      "# TYPE cordon_tenant_cpus gauge\n";
  for (const auto& [t, l] : loads)
    out += "cordon_tenant_cpus{tenant=\"" + tenant(t) + "\"} " +
           std::to_string(static_cast<double>(l.cpu_millis) / 1000) + "\n";
  out += start_latency_.render("cordon_job_start_latency_seconds",
                               "From leaving the queue to the command's exec.");
  out +=
      queue_wait_.render("cordon_job_queue_wait_seconds", "From submission to leaving the queue.");
  return out;
}

}  // namespace cordon::service
