#include "engine/container/start_log.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/log.h"
#include "plan/cgroup_plan.h"
#include "plan/id_range.h"
#include "sys/fs.h"

namespace cordon::backend {
namespace {

using isolate::Mark;

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

const char* mount_op_name(plan::MountOp op) {
  switch (op) {
    case plan::MountOp::kTmpfs:
      return "tmpfs";
    case plan::MountOp::kBindHost:
      return "bind-host";
    case plan::MountOp::kMirrorHost:
      return "mirror-host";
    case plan::MountOp::kStageHost:
      return "stage-host";
    case plan::MountOp::kBindFromStage:
      return "bind-from-stage";
    case plan::MountOp::kBindStaged:
      return "bind-staged";
    case plan::MountOp::kProc:
      return "proc";
    case plan::MountOp::kDevpts:
      return "devpts";
    case plan::MountOp::kMqueue:
      return "mqueue";
    case plan::MountOp::kMaskFile:
      return "mask-file";
    case plan::MountOp::kMaskDir:
      return "mask-dir";
    case plan::MountOp::kReadOnly:
      return "read-only";
    case plan::MountOp::kSymlink:
      return "symlink";
    case plan::MountOp::kMkdir:
      return "mkdir";
    case plan::MountOp::kAttachTree:
      return "attach-tree";
    case plan::MountOp::kOverlay:
      return "overlay";
    case plan::MountOp::kSetReadOnly:
      return "set-read-only";
    case plan::MountOp::kHostsFile:
      return "hosts-file";
    case plan::MountOp::kTextFile:
      return "text-file";
    case plan::MountOp::kFile:
      return "file";
    case plan::MountOp::kSysfs:
      return "sysfs";
    case plan::MountOp::kCgroup2:
      return "cgroup2";
  }
  return "step";
}

std::string rlimit_name(int resource) {
  switch (resource) {
    case RLIMIT_NOFILE:
      return "RLIMIT_NOFILE";
    case RLIMIT_CORE:
      return "RLIMIT_CORE";
    case RLIMIT_FSIZE:
      return "RLIMIT_FSIZE";
    case RLIMIT_STACK:
      return "RLIMIT_STACK";
  }
  return "resource " + std::to_string(resource);
}

void debug(const std::string& line) {
  log(LogLevel::kDebug, "  " + line);
}

void slot_details(const StartFacts& f) {
  debug("uid_map: " + std::to_string(0) + " " + std::to_string(f.uid_base) + " " +
        std::to_string(plan::kSlotSize));
  debug("gid_map: " + std::to_string(0) + " " + std::to_string(f.gid_base) + " " +
        std::to_string(plan::kSlotSize));
}

// The group(s), the limits written into them, and the plan the child is cloned with.
void pre_clone_details(const StartFacts& f) {
  const plan::LaunchPlan& p = *f.plan;
  for (const auto& path : f.cgroup_paths) debug("cgroup: " + path);
  if (f.cgroup_mode != isolate::CgroupMode::kNone) {
    bool v1 = f.cgroup_mode == isolate::CgroupMode::kV1;
    for (const auto& w : v1 ? plan::cgroup_writes_v1(p.limits) : plan::cgroup_writes_v2(p.limits)) {
      if (w.kernel_default) continue;
      debug("cgroup write: " + (w.controller.empty() ? "" : w.controller + "/") + w.file + " = " +
            w.value + (w.optional ? " (when the kernel has it)" : ""));
    }
  }
  for (const auto& r : p.rlimits)
    debug("rlimit: " + rlimit_name(r.resource) + " = " + std::to_string(r.value));
  for (const auto& s : p.mounts.steps) {
    std::string line = std::string("mount: ") + mount_op_name(s.op);
    if (!s.source.empty()) line += " " + s.source;
    line += " -> " + s.target;
    if (!s.data.empty()) line += " (" + s.data + ")";
    if (s.writable) line += " rw";
    if (s.optional) line += " optional";
    if (s.idmap) line += " idmapped";
    debug(line);
  }
  if (p.seccomp) {
    debug("seccomp: policy " + p.seccomp->policy + ", " + std::to_string(p.seccomp->filter.size()) +
          " BPF instructions" + (p.seccomp->report ? ", report mode" : ""));
    if (!p.seccomp->skipped.empty())
      debug("seccomp: names dropped (not x86_64 syscalls, or unknown to libseccomp): " +
            join(p.seccomp->skipped));
  } else {
    debug("seccomp: none (--seccomp unconfined)");
  }
}

// The line of one step; empty for a mark that is not logged.
std::string step_line(Mark m, const isolate::Timeline& t, const StartFacts& f) {
  const plan::LaunchPlan& p = *f.plan;
  switch (m) {
    case Mark::kSlotTaken: {
      std::string n = f.slot_index >= 0 ? std::to_string(f.slot_index) + " " : "";
      return "slot " + n + "taken (uids " + std::to_string(f.uid_base) + "-" +
             std::to_string(f.uid_base + plan::kSlotSize - 1) + ", gids " +
             std::to_string(f.gid_base) + "-" + std::to_string(f.gid_base + plan::kSlotSize - 1) +
             ")";
    }
    case Mark::kCgroupReady:
      switch (f.cgroup_mode) {
        case isolate::CgroupMode::kNone:
          return "no cgroup (--no-cgroup): no memory, pids or CPU limit";
        case isolate::CgroupMode::kV1:
          return "cgroup v1 ready with its limits (" + std::to_string(f.cgroup_paths.size()) +
                 " hierarchies)";
        case isolate::CgroupMode::kV2:
          return "cgroup v2 ready with its limits";
      }
      return "";
    case Mark::kCloned:
      return "cloned: the sandbox's PID 1 is host PID " + std::to_string(f.pid1) + " (namespaces " +
             join(p.namespaces) + ")";
    case Mark::kMapsWritten:
      return "ID maps written, the go sent";
    case Mark::kMountsDone:
      return "mounts done, pivoted into the new root (" + std::to_string(p.mounts.steps.size()) +
             " steps)";
    case Mark::kSetupDone:
      return "privileges dropped: uid " + std::to_string(p.uid) + ", gid " + std::to_string(p.gid) +
             " inside, " + (p.caps.empty() ? "no capabilities" : "default capabilities") +
             ", no_new_privs";
    case Mark::kCommandReceived:
      return p.late_command ? "command received" : "";
    case Mark::kCommandForked:
      return "command's process forked";
    case Mark::kSeccompLoaded:
      return p.seccomp ? "seccomp filter loaded (" + p.seccomp->policy + ")"
                       : "no seccomp filter (--seccomp unconfined)";
    case Mark::kExec:
      return "execve " + (p.argv.empty() ? std::string("the command") : p.argv[0]);
    case Mark::kExecFailed:
      return std::string("execve failed: ") + strerror(t.exec_errno());
    case Mark::kCommandEnded:
      return "command ended";
    case Mark::kExited:
      return "sandbox ended (PID 1 reaped)";
    case Mark::kTornDown:
      return "torn down: cgroup removed, slot released";
    case Mark::kStart:
    case Mark::kChildStarted:  // before the maps: its time would precede logged lines
    case Mark::kMapsReceived:
    case Mark::kCount:
      return "";
  }
  return "";
}

std::string since(uint64_t start, uint64_t at) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+%.3fms", static_cast<double>(at - start) / 1e6);
  return buf;
}

}  // namespace

void StartLog::flush(const isolate::Timeline& t, const StartFacts& f, Mark until) {
  if (log_level() < LogLevel::kInfo || f.plan == nullptr) return;
  uint64_t start = t.at(Mark::kStart);
  std::vector<std::pair<uint64_t, int>> due;
  for (int i = 0; i <= static_cast<int>(until) && i < static_cast<int>(Mark::kCount); ++i) {
    uint64_t at = t.at(static_cast<Mark>(i));
    if (at == 0 || (logged_ & (1ull << i))) continue;
    logged_ |= 1ull << i;
    due.emplace_back(at, i);
  }
  std::sort(due.begin(), due.end());
  for (const auto& [at, i] : due) {
    Mark m = static_cast<Mark>(i);
    std::string line = step_line(m, t, f);
    if (line.empty()) continue;
    // Never backwards: a mark of the sandbox taken while the supervisor was descheduled.
    last_ns_ = std::max(last_ns_, at);
    if (newline_first_) {
      (void)sys::write_all(STDERR_FILENO, "\n", "stderr");
      newline_first_ = false;
    }
    log(LogLevel::kInfo, since(start, last_ns_) + " " + line);
    if (log_level() < LogLevel::kDebug) continue;
    if (m == Mark::kSlotTaken) slot_details(f);
    if (m == Mark::kCgroupReady) pre_clone_details(f);
  }
}

}  // namespace cordon::backend
