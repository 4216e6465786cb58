#include "jobs/service.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "archive/tar.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "image/store.h"
#include "jobs/ending.h"
#include "jobs/tokens.h"
#include "jobs/usage.h"
#include "sys/clock.h"
#include "sys/fs.h"
#include "sys/mount.h"
#include "sys/process.h"

namespace cordon::jobs {
namespace {

// Retention is checked this often at most, and four times per retention period at least.
constexpr int64_t kJanitorEveryMs = 30'000;
constexpr int64_t kJanitorMinMs = 100;
constexpr int64_t kStopKillWaitMs = 30'000;
constexpr const char* kCancelKillReason = "cancelled: killed after cancel_grace";
constexpr const char* kStopReason = "daemon-stop: killed after the grace period";

// The ID (sha256:HEX of its manifest) of the store's image ref; ENOENT when the store or
// the image is not there.
Result<std::string> image_id_in(const std::string& store_root, const std::string& ref) {
  ASSIGN_OR_RETURN(image::Store store, image::Store::open(store_root, /*create=*/false));
  ASSIGN_OR_RETURN(image::StoreLock reading, store.lock(/*exclusive=*/false));
  ASSIGN_OR_RETURN(std::string hex, store.find(ref));
  return "sha256:" + hex;
}

// Whether images_dir holds the image (a directory, as a job's start will open it).
bool image_in(const std::string& images_dir, const std::string& name) {
  if (images_dir.empty()) return false;
  return sys::open_path(images_dir + "/" + name, O_PATH | O_DIRECTORY | O_CLOEXEC).ok();
}

}  // namespace

Service::Service(ServiceConfig config, Store& store)
    : config_(std::move(config)),
      store_(store),
      tenants_(store, [this](const Tenant& t) { on_tenant_change(t); }),
      uploads_(config_.state_dir + "/uploads", config_.max_upload, rates_),
      retention_(store, config_.state_dir + "/jobs", config_.retention_ms) {}

void Service::on_tenant_change(const Tenant& t) {
  std::lock_guard lock(mu_);
  quotas_[t.id] = t.quota;
  cv_.notify_all();  // a raised quota may let a queued job start
}

Service::~Service() {
  stop(0);
}

JobFiles Service::files_of(const std::string& id) const {
  return retention_.files_of(id);
}

Status Service::start() {
  TRY(sys::make_dirs(config_.state_dir + "/jobs", 0700));
  for (const auto& t : store_.tenants()) {
    quotas_[t.id] = t.quota;
    // Stored before names were kept apart from ids: reachable by its id only.
    if (!valid_tenant_name(t.name))
      log(LogLevel::kWarn, "tenant " + t.id + ": its name '" + t.name +
                               "' has the form of an id and names nothing: rename it");
  }
  TRY(uploads_.load());
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
    if (j.supervisor_pid > 0 && j.supervisor_start != 0) {
      // The pidfd first, then the start time: if they match, the pidfd names the same
      // supervisor (a PID reused after the check could not be), and killing it takes its
      // sandbox down (the sandbox's PID 1 has it as parent-death signal).
      auto pidfd = sys::pidfd_open(j.supervisor_pid);
      if (pidfd.ok() && sys::process_start_time(j.supervisor_pid) == j.supervisor_start &&
          sys::pidfd_kill(pidfd->get(), SIGKILL).ok())
        fate = "its sandbox was killed";
    }
    (void)sys::unmount_detach(files_of(j.id).workspace());
    j.state = JobState::kLost;
    j.exit_status = kNoExitStatus;  // how it ended was never reported
    j.ended_ms = now_ms();
    j.reason = "lost: the daemon stopped while the job ran; " + fate;
    j.supervisor_pid = 0;
    (void)store_.update_job(j);
    drop_inputs(j);
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
    join_finished_locked();
    if (now >= next_janitor) {
      lock.unlock();
      retention_.expire_old(now);
      uploads_.expire(now);
      lock.lock();
      next_janitor =
          now + std::clamp<int64_t>(config_.retention_ms / 4, kJanitorMinMs, kJanitorEveryMs);
      continue;
    }
    std::optional<size_t> pick;
    std::vector<Candidate> candidates;
    if (running_.size() < config_.max_running && now >= paused_until_ms_) {
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
      if (paused_until_ms_ > now) wake = std::min(wake, paused_until_ms_);
      for (const auto& [id, r] : running_)
        if (r.kill_at_ms != 0) wake = std::min(wake, r.kill_at_ms);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, wake - now)));
      continue;
    }
    const std::string tenant = candidates[*pick].tenant_id;
    Queued next = queues_[tenant].front();
    queues_[tenant].pop_front();
    auto found = store_.find_job(next.id);
    if (!found.ok()) {  // the store failed: the job stays queued, tried again soon
      log(LogLevel::kError, "job " + next.id + ": " + found.error().to_string());
      queues_[tenant].push_front(next);
      cv_.wait_for(lock, std::chrono::milliseconds(500));
      continue;
    }
    std::optional<Job>& job = *found;
    if (!job || job->state != JobState::kQueued) continue;  // cancelled or removed meanwhile
    // Its stored request does not read (a spec that decoded to nothing): never run blind.
    // Only a job on an image may have no command of its own.
    if (job->spec.command.empty() && job->spec.image_id.empty()) {
      job->state = JobState::kFailed;
      job->reason = "setup-failed: its stored request could not be read";
      job->exit_status = kExitSetupFailed;
      job->ended_ms = now_ms();
      (void)store_.update_job(*job);
      (void)sys::unlink_path(files_of(job->id).input_tar());
      change_cv_.notify_all();
      continue;
    }
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
    try {
      std::string id = job->id;
      threads_.emplace(id, std::thread([this, j = *job]() mutable { run_one(std::move(j)); }));
    } catch (const std::system_error& e) {  // no thread to be had: back to the queue
      log(LogLevel::kError, "job " + job->id + ": no runner thread: " + e.what());
      running_.erase(job->id);
      requeue_locked(*job);
      paused_until_ms_ = now_ms() + 1000;
      continue;
    }
    ++runners_;
    change_cv_.notify_all();
  }
}

void Service::requeue_locked(Job& job) {
  job.state = JobState::kQueued;
  job.started_ms = 0;
  job.supervisor_pid = 0;
  (void)store_.update_job(job);
  JobSpec sizes;
  sizes.memory = job.spec.memory;
  sizes.cpu_millis = job.spec.cpu_millis;
  queues_[job.tenant_id].push_front({job.id, job.seq, job.created_ms, sizes});
  change_cv_.notify_all();
}

// Runner threads that have finished: joined here (they only return by then).
void Service::join_finished_locked() {
  for (const auto& id : finished_threads_) {
    auto it = threads_.find(id);
    if (it == threads_.end()) continue;
    if (it->second.joinable()) it->second.join();
    threads_.erase(it);
  }
  finished_threads_.clear();
}

void Service::run_one(Job job) {
  const uint64_t t0 = sys::monotonic_ns();
  int64_t started_us = -1;
  uint64_t max_entries;
  {
    // A job may not leave more than its tenant may keep in all.
    std::lock_guard lock(mu_);
    auto q = quotas_.find(job.tenant_id);
    max_entries = q == quotas_.end() ? 0 : std::min(q->second.job_files, q->second.max_files);
  }
  auto outcome =
      run_job(job, files_of(job.id), config_.runner, max_entries, [&](pid_t pid, UniqueFd pidfd) {
        started_us = static_cast<int64_t>((sys::monotonic_ns() - t0) / 1000);
        on_started(job.id, pid, std::move(pidfd));
      });
  // Start latency: from leaving the queue to the command's exec (the launcher's handoff
  // and the workspace here, then the sandbox's own start from its timings).
  if (started_us >= 0 && outcome.sandbox_start_us >= 0)
    start_latency_.observe(static_cast<double>(started_us + outcome.sandbox_start_us) / 1e6);
  finish(std::move(job), outcome);
}

void Service::on_started(const std::string& id, pid_t pid, UniqueFd pidfd) {
  // The launcher's pidfd names this supervisor for good. Without one, none is opened
  // here from the PID (it may be another process's by now): the job can then not be
  // cancelled, only waited for.
  uint64_t start = pidfd.valid() ? sys::process_start_time(pid) : 0;
  // Still alive after the read: the start time is this supervisor's, not that of a
  // process that took its PID meanwhile (recovery kills by it).
  if (start != 0 && !sys::pidfd_kill(pidfd.get(), 0).ok()) start = 0;
  std::unique_lock lock(mu_);
  auto it = running_.find(id);
  if (it == running_.end() || !pidfd.valid()) return;
  it->second.pidfd = std::move(pidfd);
  it->second.pid = pid;
  if (killing_) {  // the daemon's stop is past its grace: no SIGTERM round
    kill_running(it->second, kStopReason);
  } else if (it->second.cancel) {  // cancelled before its supervisor was known
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
  Interference by_daemon;
  if (it != running_.end())
    by_daemon = {it->second.cancel, it->second.cancel_reason, it->second.killed,
                 it->second.kill_reason};
  if (it != running_.end()) running_.erase(it);
  if (o.launcher_unreachable && !by_daemon.cancelled) {
    // Nothing ran: the job waits for the launcher (restarted by the daemon) instead of
    // failing, and so does every other job for a moment. (Stopping: it stays queued in
    // the store for the next start.)
    log(LogLevel::kWarn, "job " + job.id + ": " + o.reason + "; queued again");
    requeue_locked(job);
    paused_until_ms_ = now_ms() + 1000;
    --runners_;
    finished_threads_.push_back(job.id);
    cv_.notify_all();
    return;
  }
  lock.unlock();
  // The store holds what the job's record says now (its supervisor's PID).
  if (auto stored = store_.job(job.id)) job = std::move(*stored);
  JobEnd end = job_end(o, by_daemon);
  job.state = end.state;
  job.reason = std::move(end.reason);
  job.exit_status = end.exit_status;
  // Said on the job whatever its end: the tenant learns why its files are not there.
  if (!o.collect_error.empty()) job.reason += " (" + o.collect_error + ")";
  job.result_json = o.result_json;
  job.ended_ms = now_ms();
  job.supervisor_pid = 0;
  if (auto st = store_.update_job(job); !st.ok())
    log(LogLevel::kError, "job " + job.id + ": " + st.error().to_string());
  drop_inputs(job);
  enforce_storage_quota(job.tenant_id);
  uint64_t cpu = result_cpu_ns(job.result_json);
  lock.lock();
  cpu_done_ns_[job.tenant_id] += cpu;
  --runners_;
  finished_threads_.push_back(job.id);
  cv_.notify_all();
  change_cv_.notify_all();
}

// An ended job's inputs are not kept: the inline files' contents leave its stored
// request, and its upload leaves its folder.
void Service::drop_inputs(Job& job) {
  (void)sys::unlink_path(files_of(job.id).input_tar());
  bool any = false;
  for (auto& f : job.spec.files) {
    any = any || !f.content.empty();
    f.content.clear();
  }
  if (!job.spec.stdin_content.empty()) {
    any = true;
    job.spec.stdin_content.clear();  // its size stays (stdin_bytes)
  }
  if (any) (void)store_.update_spec(job.id, job.spec);
}

void Service::kill_running(Running& r, const char* reason) {
  if (!r.pidfd.valid() || !sys::pidfd_kill(r.pidfd.get(), SIGKILL).ok()) return;
  r.killed = true;
  r.kill_reason = reason;
}

void Service::kill_due(int64_t now) {
  for (auto& [id, r] : running_) {
    if (r.kill_at_ms == 0 || now < r.kill_at_ms || !r.pidfd.valid()) continue;
    kill_running(r, kCancelKillReason);
    r.kill_at_ms = 0;
  }
}

// A tenant over what it may keep on disk (log_bytes of allocated bytes, max_files
// entries): its oldest finished jobs' files go first, until both hold.
void Service::enforce_storage_quota(const std::string& tenant_id) {
  uint64_t max_bytes, max_entries;
  {
    std::lock_guard lock(mu_);
    auto q = quotas_.find(tenant_id);
    if (q == quotas_.end()) return;
    max_bytes = q->second.log_bytes;
    max_entries = q->second.max_files;
  }
  retention_.enforce(tenant_id, max_bytes, max_entries);
}

Refusal Service::delete_tenant(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    bool busy = queued_count_locked(id) > 0 || reserved_.count(id) != 0;
    for (const auto& [job, r] : running_) busy = busy || r.tenant_id == id;
    if (busy)
      return {Refused::kConflict, "", "the tenant has queued or running jobs: cancel them first"};
    deleting_.insert(id);  // from here, its submissions are refused
  }
  uploads_.close_tenant(id);
  JobFilter f;
  f.tenant_id = id;
  f.limit = 1000;
  for (;;) {
    auto jobs = store_.jobs(f);
    if (jobs.empty()) break;
    for (const auto& j : jobs) {
      (void)remove_tree(files_of(j.id).dir);
      retention_.forget(j.id);
    }
    f.after_seq = jobs.back().seq;
  }
  if (auto st = store_.delete_tenant(id); !st.ok()) {
    uploads_.reopen_tenant(id);
    std::lock_guard lock(mu_);
    deleting_.erase(id);
    return {Refused::kInternal, "", st.error().to_string()};
  }
  uploads_.remove_tenant(id);
  rates_.forget(id);
  std::lock_guard lock(mu_);
  quotas_.erase(id);
  queues_.erase(id);
  last_served_.erase(id);
  return {};
}

Result<Job> Service::submit(const Tenant& tenant, JobSpec spec, Refusal* refusal) {
  if (stopping_) {
    *refusal = {Refused::kUnavailable, "", "the daemon is stopping"};
    return errno_error(ESHUTDOWN, "submit");
  }
  // An image that is not there is refused now, not when the job would start.
  if (!spec.rootfs.empty() && !image_in(config_.runner.images_dir, spec.rootfs)) {
    *refusal = {Refused::kUnresolved, "rootfs", "no image '" + spec.rootfs + "' on this host"};
    return errno_error(ENOENT, "submit", spec.rootfs);
  }
  if (!spec.image.empty()) {
    auto id = image_id_in(config_.runner.image_store, spec.image);
    if (!id.ok()) {
      // Only "no such image" is the tenant's to know; a store that cannot be read is the
      // operator's (logged, answered as an internal error).
      bool missing = id.error().err == ENOENT;
      *refusal = {missing ? Refused::kUnresolved : Refused::kInternal, "image",
                  missing ? "no image '" + spec.image + "' in this daemon's store"
                          : "the image store cannot be read"};
      if (!missing) log(LogLevel::kError, "image store: " + id.error().to_string());
      return id.error();
    }
    spec.image_id = *id;
  }
  const Quota& q = tenant.quota;
  if (over_running_quota(q, TenantLoad{}, spec) != nullptr) {
    *refusal = {Refused::kNeverFits, over_running_quota(q, TenantLoad{}, spec),
                "the job alone is over the tenant's running totals: it could never start"};
    return errno_error(EINVAL, "submit");
  }
  Job job;
  ASSIGN_OR_RETURN(job.id, new_id("j-", 24));
  job.tenant_id = tenant.id;
  job.created_ms = now_ms();
  {
    std::lock_guard lock(mu_);
    if (deleting_.count(tenant.id) != 0) {
      *refusal = {Refused::kNotFound, "", "no such tenant"};
      return errno_error(ENOENT, "submit");
    }
    // Submissions under way count as queued: concurrent ones cannot pass max_queued.
    auto reserved = reserved_.find(tenant.id);  // (no entry made for a refusal)
    uint32_t under_way = reserved == reserved_.end() ? 0 : reserved->second;
    if (queued_count_locked(tenant.id) + under_way >= q.max_queued) {
      *refusal = {Refused::kLimited, "max_queued", "the tenant's queue is full"};
      return errno_error(EAGAIN, "submit");
    }
    if (!q.queue_when_busy) {
      auto loads = loads_locked();
      if (const char* over = over_running_quota(q, loads[tenant.id], spec)) {
        *refusal = {Refused::kLimited, over, "over the tenant's quota (and it does not queue)"};
        return errno_error(EAGAIN, "submit");
      }
    }
    // Last: a submission refused for another reason does not use up the rate.
    if (!rates_.allow(tenant.id, q.rate_per_minute, job.created_ms)) {
      *refusal = {Refused::kLimited, "rate_per_minute", "over the tenant's submission rate"};
      return errno_error(EAGAIN, "submit");
    }
    ++reserved_[tenant.id];
  }
  // The reservation ends here on every path, pushed to the queue or not.
  struct Unreserve {
    Service* s;
    std::string tenant;
    ~Unreserve() {
      std::lock_guard lock(s->mu_);
      if (--s->reserved_[tenant] == 0) s->reserved_.erase(tenant);
    }
  } unreserve{this, tenant.id};
  JobFiles files = files_of(job.id);
  if (auto st = sys::make_dirs(files.dir, 0700); !st.ok()) {
    *refusal = {Refused::kInternal, "", st.error().to_string()};
    return st.error();
  }
  if (!spec.upload.empty()) {
    if (!uploads_.take(tenant.id, spec.upload, files.input_tar()).ok()) {
      (void)remove_tree(files.dir);
      *refusal = {Refused::kInvalid, "upload", "no such upload (each is used by one job)"};
      return errno_error(ENOENT, "upload", spec.upload);
    }
  }
  job.spec = std::move(spec);
  if (auto st = store_.insert_job(&job); !st.ok()) {
    (void)remove_tree(files.dir);
    *refusal = {Refused::kInternal, "", st.error().to_string()};
    return st.error();
  }
  std::lock_guard lock(mu_);
  JobSpec sizes;
  sizes.memory = job.spec.memory;
  sizes.cpu_millis = job.spec.cpu_millis;
  queues_[tenant.id].push_back({job.id, job.seq, job.created_ms, sizes});
  cv_.notify_all();
  return job;
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
  if (!job) return {Refused::kNotFound, "", "no such job"};
  if (is_terminal(job->state)) return {Refused::kConflict, "", "the job has ended already"};
  if (job->state == JobState::kQueued) {
    auto& q = queues_[job->tenant_id];
    q.erase(std::remove_if(q.begin(), q.end(), [&](const Queued& x) { return x.id == id; }),
            q.end());
    job->state = JobState::kCancelled;
    job->reason = "cancelled";
    job->ended_ms = now_ms();
    if (auto st = store_.update_job(*job); !st.ok())
      return {Refused::kInternal, "", st.error().to_string()};
    drop_inputs(*job);
    change_cv_.notify_all();
  }
  return {};
}

Refusal Service::remove(const std::string& id) {
  auto job = store_.job(id);
  if (!job) return {Refused::kNotFound, "", "no such job"};
  if (!is_terminal(job->state))
    return {Refused::kConflict, "", "the job has not ended: cancel it first"};
  if (auto st = remove_tree(files_of(id).dir); !st.ok())
    return {Refused::kInternal, "", st.error().to_string()};
  if (auto st = store_.delete_job(id); !st.ok())
    return {Refused::kInternal, "", st.error().to_string()};
  retention_.forget(id);
  return {};
}

void Service::wait_change(int timeout_ms) {
  std::unique_lock lock(mu_);
  change_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms));
}

void Service::stop(int64_t grace_ms) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  change_cv_.notify_all();
  change_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(grace_ms, 0)),
                      [&] { return runners_ == 0; });
  killing_ = true;  // and supervisors that start from now on are killed at once
  for (auto& [id, r] : running_) {
    if (!r.cancel) {  // a tenant's cancel under way keeps its reason
      r.cancel = true;
      r.cancel_reason = "daemon-stop: ended as the daemon stopped";  // if it still reports
    }
    if (!r.killed) kill_running(r, kStopReason);
  }
  change_cv_.wait_for(lock, std::chrono::milliseconds(kStopKillWaitMs),
                      [&] { return runners_ == 0; });
  // Every runner is joined before the service goes: none may outlive `this`. One still
  // running has a supervisor that was just killed, so its wait ends.
  std::map<std::string, std::thread> threads = std::move(threads_);
  threads_.clear();
  finished_threads_.clear();
  lock.unlock();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& [id, t] : threads)
    if (t.joinable()) t.join();
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
  std::vector<std::pair<std::string, pid_t>> supervisors;
  std::map<std::string, uint64_t> cpu_ns;
  {
    std::lock_guard lock(mu_);
    loads = loads_locked();
    running = running_.size();
    for (const auto& [id, r] : running_)
      if (r.pid > 0) supervisors.emplace_back(r.tenant_id, r.pid);
    cpu_ns = cpu_done_ns_;
  }
  // What the running sandboxes use now, read from their cgroups.
  std::map<std::string, uint64_t> memory_used;
  for (const auto& [tenant_id, pid] : supervisors) {
    auto u = sandbox_usage(pid);
    if (!u) continue;
    memory_used[tenant_id] += u->memory_bytes;
    cpu_ns[tenant_id] += u->cpu_ns;
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
  out +=
      "# HELP cordon_tenant_memory_used_bytes Memory a tenant's running sandboxes use now.\n"
      "# TYPE cordon_tenant_memory_used_bytes gauge\n";
  for (const auto& [t, l] : loads)
    out += "cordon_tenant_memory_used_bytes{tenant=\"" + tenant(t) + "\"} " +
           std::to_string(memory_used[t]) + "\n";
  out +=
      "# HELP cordon_tenant_cpu_seconds_total CPU time of a tenant's jobs: ended ones since the "
      "daemon started, and running ones so far.\n# TYPE cordon_tenant_cpu_seconds_total counter\n";
  for (const auto& [t, ns] : cpu_ns)
    out += "cordon_tenant_cpu_seconds_total{tenant=\"" + tenant(t) + "\"} " +
           std::to_string(static_cast<double>(ns) / 1e9) + "\n";
  out += start_latency_.render("cordon_job_start_latency_seconds",
                               "From leaving the queue to the command's exec.");
  out +=
      queue_wait_.render("cordon_job_queue_wait_seconds", "From submission to leaving the queue.");
  return out;
}

}  // namespace cordon::jobs
