#include "spec/spec.h"

#include <cctype>

namespace cordon::spec {
namespace {

Error invalid(std::string field, std::string detail) {
  return logic_error("invalid", std::move(field), std::move(detail));
}

bool has_nul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

bool valid_hostname(const std::string& h) {
  if (h.empty() || h.size() > kMaxHostname || h.front() == '-' || h.front() == '.') return false;
  for (char c : h) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return true;
}

bool valid_env_name(const std::string& k) {
  if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
  for (char c : k) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace

bool is_clean_absolute_path(const std::string& path) {
  if (path.empty() || path[0] != '/' || path.size() > kMaxPath || has_nul(path)) return false;
  if (path == "/") return true;
  if (path.back() == '/') return false;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

Result<CapsChoice> parse_caps_choice(std::string_view arg) {
  if (arg == "default") return CapsChoice::kDefault;
  if (arg == "none") return CapsChoice::kNone;
  return invalid("caps", "'" + std::string(arg) + "': expected default or none");
}

const char* to_string(CapsChoice caps) {
  return caps == CapsChoice::kNone ? "none" : "default";
}

const char* to_string(BindOwner o) {
  switch (o) {
    case BindOwner::kOwner:
      return "owner";
    case BindOwner::kPlain:
      return "plain";
    case BindOwner::kAuto:
      break;
  }
  return "auto";
}

Result<BindOwner> parse_bind_owner(std::string_view word) {
  if (word == "auto") return BindOwner::kAuto;
  if (word == "owner") return BindOwner::kOwner;
  if (word == "plain") return BindOwner::kPlain;
  return invalid("bind",
                 "'" + std::string(word) + "': the owner mode must be auto, owner or plain");
}

std::string home_dir(const SandboxSpec& spec) {
  return spec.uid == 0 ? "/root" : "/home/user";
}

Status validate(const SandboxSpec& spec) {
  if (spec.argv.empty()) return invalid("command", "no command given (put it after --)");
  if (spec.argv.size() > kMaxArgs)
    return invalid("command", "more than " + std::to_string(kMaxArgs) + " arguments");
  if (spec.argv[0].empty()) return invalid("command", "the command name is empty");
  size_t bytes = 0;
  for (const auto& a : spec.argv) {
    if (has_nul(a)) return invalid("command", "an argument contains a NUL byte");
    bytes += a.size() + 1;
  }
  if (spec.env.size() > kMaxEnv)
    return invalid("env", "more than " + std::to_string(kMaxEnv) + " variables");
  for (const auto& [k, v] : spec.env) {
    if (!valid_env_name(k)) return invalid("env", "'" + k + "' is not a variable name");
    if (has_nul(v)) return invalid("env", k + " contains a NUL byte");
    bytes += k.size() + v.size() + 2;
  }
  if (bytes > kMaxArgBytes) return invalid("command", "arguments and environment exceed 1 MiB");
  if (spec.rootfs && (spec.rootfs->empty() || (*spec.rootfs)[0] != '/' ||
                      spec.rootfs->size() > kMaxPath || has_nul(*spec.rootfs)))
    return invalid("rootfs", "must be an absolute host path");
  if (spec.persistent_upper) {
    if (!has_image_root(spec))
      return invalid("persistent_upper", "goes with an image root (image or rootfs)");
    if (!is_clean_absolute_path(*spec.persistent_upper) || spec.persistent_upper->size() > kMaxPath)
      return invalid("persistent_upper", "must be a clean absolute host path");
    if (!spec.slot_base)
      return invalid("persistent_upper", "needs a fixed slot_base: its files are that slot's");
  }
  if (spec.slot_base && *spec.slot_base % kIdsPerSandbox != 0)
    return invalid("slot_base", "must be the base of an ID slot (a multiple of 65536)");
  if (spec.image) {
    if (spec.rootfs) return invalid("image", "an image and a rootfs cannot both be the root");
    const ImageRoot& im = *spec.image;
    if (im.layers.empty() || im.layers.size() > kMaxImageLayers)
      return invalid("image", "must have 1 to " + std::to_string(kMaxImageLayers) + " layers");
    for (const auto& l : im.layers)
      if (!is_clean_absolute_path(l) || l.size() > kMaxPath)
        return invalid("image", "the layer '" + l + "' must be a clean absolute host path");
    if (!is_clean_absolute_path(im.store) || im.store.size() > kMaxPath)
      return invalid("image", "the store '" + im.store + "' must be a clean absolute host path");
    if (im.ref.size() > kMaxImageRef || has_nul(im.ref) || im.id.size() > kMaxImageRef)
      return invalid("image", "the reference is too long");
  }
  if (spec.binds.size() > kMaxBinds)
    return invalid("bind", "more than " + std::to_string(kMaxBinds) + " binds");
  for (const auto& b : spec.binds) {
    if (b.source.empty() || b.source[0] != '/' || b.source.size() > kMaxPath || has_nul(b.source))
      return invalid("bind", "the source '" + b.source + "' must be an absolute host path");
    if (!is_clean_absolute_path(b.target))
      return invalid("bind", "the target '" + b.target +
                                 "' must be an absolute path without '.', '..' or doubled '/'");
    if (b.target == "/" || b.target == "/proc" || b.target.rfind("/proc/", 0) == 0 ||
        b.target == "/dev" || b.target.rfind("/dev/", 0) == 0)
      return invalid("bind", "the target '" + b.target + "' is reserved by the sandbox");
    if (b.owned_by_sandbox && !b.writable)
      return invalid("bind", "'" + b.source + "': a tree owned by the sandbox must be writable");
    if (b.owned_by_sandbox && b.owner == BindOwner::kOwner)
      return invalid("bind", "'" + b.source + "': a tree owned by the sandbox is not owner-mapped");
  }
  if (!spec.workdir.empty() && !is_clean_absolute_path(spec.workdir))
    return invalid("workdir", "'" + spec.workdir + "' must be a clean absolute path");
  if (!valid_hostname(spec.hostname))
    return invalid("hostname", "'" + spec.hostname +
                                   "' is not a hostname (letters, digits, '-', '.', at most 64)");
  if (spec.uid >= kIdsPerSandbox) return invalid("uid", "must be below 65536");
  if (spec.gid >= kIdsPerSandbox) return invalid("gid", "must be below 65536");
  if (spec.disk_bytes < kMinDiskBytes) return invalid("disk", "must be at least 1M");
  if (!spec.cgroup_parent.empty() && !is_clean_absolute_path(spec.cgroup_parent))
    return invalid("cgroup-parent", "'" + spec.cgroup_parent + "' must be a clean absolute path");
  if (spec.seccomp_report && spec.seccomp.kind == SeccompChoice::Kind::kUnconfined)
    return invalid("seccomp-report", "there is nothing to report without a filter");
  if (spec.seccomp.kind == SeccompChoice::Kind::kFile &&
      (spec.seccomp.path.empty() || spec.seccomp.path[0] != '/'))
    return invalid("seccomp", "a profile file needs an absolute path");
  if (spec.no_cgroup && spec.limits.cpu_time_ns != 0)
    return invalid("cpu-time", "is measured by the cgroup: it cannot go with --no-cgroup");
  if (spec.no_cgroup && !spec.cgroup_parent.empty())
    return invalid("cgroup-parent", "cannot go with --no-cgroup");
  if (spec.boot && !has_image_root(spec))
    return invalid("boot", "boots an image's init: it needs --image or --rootfs");
  if (spec.boot && spec.no_cgroup)
    return invalid("boot", "the init gets the sandbox's cgroup: it cannot go with --no-cgroup");
  if (spec.boot && spec.seccomp.kind == SeccompChoice::Kind::kStrict)
    return invalid("boot", "an init cannot run under --seccomp strict");
  if (spec.boot && spec.caps == CapsChoice::kNone)
    return invalid("boot", "an init needs root's capabilities: it cannot go with --caps none");
  if (spec.boot && spec.uid != 0)
    return invalid("boot", "the init runs as root inside: it cannot go with --user");
  if (spec.stop_grace_ns < kMinTimeNs) return invalid("stop-grace", "must be at least 1ms");
  TRY(validate_network(spec.network));
  return validate_limits(spec.limits);
}

Status validate_limits(const Limits& l) {
  if (l.memory_bytes < kMinMemoryBytes) return invalid("memory", "must be at least 8M");
  if (l.memory_bytes > kMaxMemoryBytes) return invalid("memory", "must be at most 64T");
  if (l.memory_swap_bytes && *l.memory_swap_bytes > 2 * kMaxMemoryBytes)
    return invalid("memory-swap", "must be at most 128T");
  if (l.memory_swap_bytes && *l.memory_swap_bytes < l.memory_bytes)
    return invalid("memory-swap", "is memory plus swap: it cannot be below --memory");
  if (l.pids < kMinPids) return invalid("pids", "must be at least 4");
  if (l.pids > 4194304) return invalid("pids", "must be at most 4194304");
  if (l.cpu_millis < kMinCpuMillis) return invalid("cpus", "must be at least 0.01");
  if (l.cpu_millis > 1024000) return invalid("cpus", "must be at most 1024");
  if (l.cpu_weight < 1 || l.cpu_weight > 10000) return invalid("cpu-weight", "must be 1-10000");
  if (l.io.size() > kMaxIoLimits) return invalid("io", "more than 16 device limits");
  for (const auto& io : l.io) {
    if (!is_clean_absolute_path(io.device))
      return invalid("io", "'" + io.device + "' must be the absolute path of a block device");
    if (io.read_bps == 0 && io.write_bps == 0) return invalid("io", "a device limit sets no rate");
  }
  if (l.wall_ns < kMinTimeNs) return invalid("time", "must be at least 1ms");
  if (l.cpu_time_ns != 0 && l.cpu_time_ns < kMinTimeNs)
    return invalid("cpu-time", "must be at least 1ms");
  if (l.output_bytes < 1) return invalid("output-limit", "must be at least 1 byte");
  if (l.nofile < kMinNofile) return invalid("nofile", "must be at least 16");
  if (l.fsize_bytes != 0 && l.fsize_bytes < 4096) return invalid("fsize", "must be at least 4K");
  // Below 64K a process cannot start; a stack is memory, so no more than --memory.
  if (l.stack_bytes != 0 && l.stack_bytes < (64u << 10))
    return invalid("stack", "must be at least 64K");
  if (l.stack_bytes > l.memory_bytes) return invalid("stack", "cannot be above --memory");
  return {};
}

bool same_sandbox(const SandboxSpec& a, const SandboxSpec& b) {
  return a.rootfs == b.rootfs && a.image == b.image && a.persistent_upper == b.persistent_upper &&
         a.slot_base == b.slot_base && a.binds == b.binds && a.workdir == b.workdir &&
         a.hostname == b.hostname && a.uid == b.uid && a.gid == b.gid && a.caps == b.caps &&
         a.disk_bytes == b.disk_bytes && a.limits == b.limits &&
         a.cgroup_parent == b.cgroup_parent && a.no_cgroup == b.no_cgroup &&
         a.seccomp.kind == b.seccomp.kind && a.seccomp.path == b.seccomp.path &&
         a.seccomp_report == b.seccomp_report && a.tty == b.tty && a.boot == b.boot &&
         a.stop_grace_ns == b.stop_grace_ns;
}

}  // namespace cordon::spec
