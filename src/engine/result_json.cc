#include "engine/result_json.h"

#include <string.h>

#include <nlohmann/json.hpp>

#include "plan/caps_plan.h"
#include "plan/id_range.h"
#include "plan/mount_plan.h"
#include "spec/spec_json.h"

namespace cordon::engine {

using nlohmann::json;

namespace {

// What each set holds: "none", or the names. Root inside holds the bounding set; other
// UIDs hold nothing.
json capabilities(const engine::RunResult& r) {
  const std::vector<int>& caps = r.plan.caps;
  auto set = [&](bool held) {
    return held && !caps.empty() ? json(plan::cap_names(caps)) : json("none");
  };
  return {{"choice", spec::to_string(r.spec.caps)},
          {"bounding", set(true)},
          {"ambient", "none"},
          {"inheritable", "none"},
          {"permitted", set(r.spec.uid == 0)},
          {"effective", set(r.spec.uid == 0)},
          // --caps none: root's special treatment locked off (SECBIT_NOROOT and the
          // other bits, locked); by default only ambient raising is locked off.
          {"securebits_locked", caps.empty() ? "all" : "no-ambient-raise"}};
}

// The sandbox's root: the host view, a directory image, or a store image's layers.
json root_json(const spec::SandboxSpec& s) {
  if (s.image)
    return {{"mode", "image"},           {"image", s.image->ref}, {"id", s.image->id},
            {"layers", s.image->layers}, {"idmapped", true},      {"lower_readonly", true},
            {"upper", "tmpfs"}};
  if (s.rootfs)
    return {{"mode", "image"},
            {"path", *s.rootfs},
            {"idmapped", true},
            {"lower_readonly", true},
            {"upper", "tmpfs"}};
  return {{"mode", "host-view"},
          {"readonly", true},
          {"host_dirs", plan::host_view_dirs()},
          {"etc", plan::host_view_etc()}};
}

json isolation(const engine::RunResult& r) {
  const auto& s = r.spec;
  json binds = json::array();
  for (const auto& b : s.binds) {
    // What each bind got: "owner" (idmapped, the source's owner is the sandbox's user),
    // "plain", or "sandbox" (a tree handed to the sandbox's user); and why an automatic
    // one stayed plain. Only once the mount plan was applied: a start refused or failed
    // before that made no bind at all, whatever the preflight had decided.
    const bool made = r.applied.mounts;
    json ids = !made                    ? json(nullptr)
               : b.owned_by_sandbox     ? json("sandbox")
               : b.mapping.owner_mapped ? json("owner")
                                        : json("plain");
    json owner = made && b.mapping.owner_mapped
                     ? json({{"uid", b.mapping.owner_uid}, {"gid", b.mapping.owner_gid}})
                     : json(nullptr);
    binds.push_back(
        {{"source", b.source},
         {"target", b.target},
         {"writable", b.writable},
         {"requested", spec::to_string(b.owner)},
         {"ids", ids},
         {"owner", owner},
         {"plain_because", !made || b.mapping.why_plain.empty() || b.mapping.owner_mapped
                               ? json(nullptr)
                               : json(b.mapping.why_plain)}});
  }
  return {
      {"root", root_json(s)},
      // What the start applied, not what it planned: a setup that failed half-way claims
      // only the steps it got through.
      {"pivot_root", r.applied.mounts},
      {"old_root_detached", r.applied.mounts},
      {"disk_bytes", s.disk_bytes},
      {"binds", binds},
      {"proc",
       {{"fresh", true},
        {"masked", plan::proc_masked_files()},
        {"masked_dirs", plan::proc_masked_dirs()},
        {"readonly", plan::proc_readonly()}}},
      {"sys", s.boot                    ? "sysfs-readonly"
              : spec::has_image_root(s) ? "empty-readonly"
                                        : "absent"},
      {"dev",
       {{"nodes", plan::dev_nodes()}, {"devpts", "private"}, {"shm", true}, {"mqueue", true}}},
      {"uid", s.uid},
      {"gid", s.gid},
      {"supplementary_groups", json::array()},
      {"capabilities", capabilities(r)},
      {"no_new_privs", r.applied.privileges},
      {"setsid", r.applied.privileges},
      {"parent_death_signal", "SIGKILL"},
      {"inherited_fds", {0, 1, 2}},
      {"hostname", s.hostname},
      {"network", "loopback-only"},
      // "pooled": made ahead by the launcher, owned by the host's user namespace.
      {"network_namespace", r.plan.netns_prepared ? "pooled" : "new"},
      {"workdir", r.plan.workdir},
  };
}

json limits(const spec::Limits& l) {
  json io = json::array();
  for (const auto& d : l.io)
    io.push_back({{"device", d.device},
                  {"major", d.major},
                  {"minor", d.minor},
                  {"read_bps", d.read_bps ? json(d.read_bps) : json(nullptr)},
                  {"write_bps", d.write_bps ? json(d.write_bps) : json(nullptr)}});
  return {
      {"memory_bytes", l.memory_bytes},
      {"memory_swap_bytes", l.memory_swap_bytes ? *l.memory_swap_bytes : l.memory_bytes},
      {"pids", l.pids},
      {"cpus", l.cpu_millis / 1000.0},
      {"cpu_weight", l.cpu_weight},
      {"io", io},
      {"wall_time_ms", l.wall_ns / 1e6},
      {"cpu_time_ms", l.cpu_time_ns ? json(l.cpu_time_ns / 1e6) : json(nullptr)},
      {"output_bytes", l.output_bytes},
      {"nofile", l.nofile},
      {"fsize_bytes", l.fsize_bytes != 0 ? json(l.fsize_bytes) : json(nullptr)},
      {"stack_bytes", l.stack_bytes != 0 ? json(l.stack_bytes) : json(nullptr)},
      {"core_dumps", false},
  };
}

json seccomp(const engine::RunResult& r) {
  const auto& c = r.spec.seccomp;
  // --boot with the default choice loads the boot profile (docs/seccomp.md).
  bool boot = r.spec.boot && c.kind == spec::SeccompChoice::Kind::kDefault;
  json j = {{"profile", boot ? "boot" : spec::to_string(c.kind)},
            {"file", c.kind == spec::SeccompChoice::Kind::kFile ? json(c.path) : json(nullptr)},
            {"loaded", r.plan.seccomp.has_value() && r.applied.seccomp},
            {"report", r.spec.seccomp_report}};
  if (r.plan.seccomp) {
    j["skipped"] = r.plan.seccomp->skipped;
    j["architectures"] = {"x86_64"};  // x32 and the i386 entry (int 0x80) are killed
  }
  if (r.spec.seccomp_report) {
    json denied = json::array();
    for (const auto& d : r.seccomp_denials)
      denied.push_back({{"syscall", d.syscall}, {"errno", errno_name(d.err)}, {"count", d.count}});
    j["denied"] = denied;
    j["report_error"] =
        r.seccomp_report_error ? json(r.seccomp_report_error->to_string()) : json(nullptr);
  }
  return j;
}

}  // namespace

std::string errno_name(int err) {
  const char* name = ::strerrorname_np(err);
  return name != nullptr ? std::string(name) : std::to_string(err);
}

std::string denial_summary(const nlohmann::json& seccomp) {
  std::string s = "seccomp denied:";
  const json* denied =
      seccomp.is_object() && seccomp.contains("denied") ? &seccomp["denied"] : nullptr;
  if (denied == nullptr || !denied->is_array() || denied->empty()) s += " nothing";
  for (size_t i = 0; denied != nullptr && denied->is_array() && i < denied->size(); ++i) {
    const json& d = (*denied)[i];
    if (!d.is_object()) continue;
    s += (i ? ", " : " ") + d.value("syscall", std::string("?")) + " " +
         d.value("errno", std::string("?")) + " x" + std::to_string(d.value("count", 0ull));
  }
  if (seccomp.is_object() && seccomp.contains("report_error") &&
      seccomp["report_error"].is_string())
    s += " (report cut short: " + seccomp["report_error"].get<std::string>() + ")";
  return s;
}

std::string result_to_json(const engine::RunResult& r) {
  json j;
  j["reason"] = engine::reason_name(r.reason);
  j["exit_status"] = r.exit_status();
  // An exit code exists only when the command exited, or could not be executed (126/127).
  bool exited = r.reason == engine::Reason::kExited || r.failure == engine::Failure::kExec;
  j["exit_code"] = exited ? json(r.exit_code) : json(nullptr);
  j["signal"] = r.reason == engine::Reason::kSignaled ? json(r.signal) : json(nullptr);
  if (r.error) {
    j["error"] = r.error->to_string();
  } else {
    j["error"] = nullptr;
  }
  j["wall_time_ms"] = static_cast<double>(r.wall_ns) / 1e6;
  j["command"] = r.spec.argv;
  j["prestarted"] = r.prestarted;
  j["tty"] = r.spec.tty;  // -t: stdout and stderr were one terminal
  j["boot"] = r.spec.boot;
  if (r.spec.boot) {
    // How a stop ended (docs/images.md, "Booting an init"): null when none was asked;
    // "halted" when the init ended by itself within the grace after SIGRTMIN+3, "killed"
    // when the sandbox was killed at the grace's end.
    json stop = nullptr;
    if (r.stop_requested)
      stop = {{"ended", r.stop_killed ? "killed" : "halted"},
              {"grace_ms", static_cast<double>(r.spec.stop_grace_ns) / 1e6},
              {"took_ms", static_cast<double>(r.stop_ns) / 1e6}};
    j["boot_mode"] = {{"init_is_pid1", true},
                      {"capabilities", plan::cap_names(r.plan.caps)},
                      {"seccomp", r.plan.seccomp ? json(r.plan.seccomp->policy) : json(nullptr)},
                      {"cgroup", "delegated cgroup2 at /sys/fs/cgroup"},
                      {"stop", stop}};
  } else {
    j["boot_mode"] = nullptr;
  }
  if (r.failure == engine::Failure::kInvalid || r.failure == engine::Failure::kInput ||
      r.uid_base == 0) {
    j["id_slot"] = nullptr;
  } else {
    j["id_slot"] = {{"uid_base", r.uid_base},
                    {"gid_base", r.gid_base},
                    {"count", plan::kSlotSize},
                    {"source", r.id_fallback ? "fallback" : "subid"}};
  }
  j["namespaces"] = r.plan.namespaces;
  j["seccomp"] = seccomp(r);
  j["accounting"] = {{"wall_time_ms", static_cast<double>(r.wall_ns) / 1e6},
                     {"cpu_user_ms", static_cast<double>(r.cpu_user_ns) / 1e6},
                     {"cpu_system_ms", static_cast<double>(r.cpu_system_ns) / 1e6},
                     {"peak_memory_bytes", r.peak_memory_bytes},
                     {"oom_kills", r.oom_kills},
                     {"output_bytes", r.output_bytes},
                     {"output_dropped_bytes", r.output_dropped_bytes},
                     {"stdout_ends_mid_line", r.stdout_mid_line}};
  j["limits"] = limits(r.spec.limits);
  // --no-cgroup: the memory, pids and CPU limits above were not applied.
  j["limits"]["cgroup_limits"] = !r.spec.no_cgroup;
  if (r.cgroup_version != 0) {
    j["cgroup"] = {{"version", r.cgroup_version}, {"paths", r.cgroup_paths}};
  } else {
    j["cgroup"] = nullptr;
  }
  j["isolation"] = isolation(r);
  // Where the time went (informational; the steps are in docs/result.md).
  json timings = json::object();
  for (const auto& [step, ns] : r.timings_ns) timings[step] = static_cast<double>(ns) / 1e3;
  j["timings_us"] = timings;
  // The spec as applied, in its one JSON form (docs/spec.md).
  j["spec"] = spec::to_json(r.spec);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace cordon::engine
