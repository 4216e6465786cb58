#include "plan/mount_plan.h"

#include "plan/id_range.h"

#include <algorithm>
#include <charconv>

namespace cordon::plan {
namespace {

std::string in_new(const std::string& path) {
  return std::string(kStagingNew) + path;
}

MountStep step(MountOp op, std::string source, std::string target, std::string data = {}) {
  MountStep s{op, std::move(source), std::move(target), std::move(data)};
  return s;
}

MountStep mkdir_step(std::string target, uint32_t mode, bool chown = false) {
  MountStep s = step(MountOp::kMkdir, {}, std::move(target));
  s.mode = mode;
  s.chown = chown;
  return s;
}

std::string tmpfs_opts(uint64_t bytes, const char* mode) {
  return "size=" + std::to_string(bytes) + ",mode=" + mode;
}

void plan_proc(MountPlan& p) {
  p.steps.push_back(mkdir_step(in_new("/proc"), 0555));
  p.steps.push_back(step(MountOp::kProc, "proc", in_new("/proc")));
  for (const auto& f : proc_masked_files())
    p.steps.push_back(step(MountOp::kMaskFile, in_new("/dev/null"), in_new("/proc/" + f)));
  for (const auto& d : proc_masked_dirs())
    p.steps.push_back(step(MountOp::kMaskDir, {}, in_new("/proc/" + d)));
  for (const auto& d : proc_readonly())
    p.steps.push_back(step(MountOp::kReadOnly, {}, in_new("/proc/" + d)));
}

void plan_dev(MountPlan& p, bool boot) {
  std::string dev = in_new("/dev");
  p.steps.push_back(mkdir_step(dev, 0755));
  p.steps.push_back(step(MountOp::kTmpfs, "tmpfs", dev, "size=65536,mode=0755"));
  for (const auto& n : dev_nodes()) {
    MountStep s = step(MountOp::kBindHost, "/dev/" + n, dev + "/" + n);
    s.writable = true;  // the node's data is the device's, not the mount's
    s.is_device = true;
    p.steps.push_back(s);
  }
  p.steps.push_back(mkdir_step(dev + "/pts", 0755));
  p.steps.push_back(
      step(MountOp::kDevpts, "devpts", dev + "/pts", "newinstance,ptmxmode=0666,mode=0620"));
  p.steps.push_back(step(MountOp::kSymlink, "pts/ptmx", dev + "/ptmx"));
  p.steps.push_back(mkdir_step(dev + "/shm", 01777));
  MountStep shm = step(MountOp::kBindStaged, std::string(kStagingScratch) + "/shm", dev + "/shm");
  shm.writable = true;
  p.steps.push_back(shm);
  p.steps.push_back(mkdir_step(dev + "/mqueue", 01777));
  p.steps.push_back(step(MountOp::kMqueue, "mqueue", dev + "/mqueue"));
  p.steps.push_back(step(MountOp::kSymlink, "/proc/self/fd", dev + "/fd"));
  p.steps.push_back(step(MountOp::kSymlink, "/proc/self/fd/0", dev + "/stdin"));
  p.steps.push_back(step(MountOp::kSymlink, "/proc/self/fd/1", dev + "/stdout"));
  p.steps.push_back(step(MountOp::kSymlink, "/proc/self/fd/2", dev + "/stderr"));
  // --boot: where PID 1 binds the sandbox's console terminal (isolate/child.cc).
  if (boot) {
    MountStep console = step(MountOp::kFile, {}, dev + "/console");
    console.mode = 0600;
    p.steps.push_back(console);
  }
  // The tmpfs itself holds only nodes and links: read-only once they are in place. Not
  // under --boot: the init links /dev/log and /dev/initctl there (the tmpfs is nodev and
  // capped at 64K).
  if (!boot) p.steps.push_back(step(MountOp::kSetReadOnly, {}, dev));
}

void plan_scratch(MountPlan& p, const spec::SandboxSpec& spec) {
  std::string s = kStagingScratch;
  p.steps.push_back(step(MountOp::kTmpfs, "tmpfs", s, tmpfs_opts(spec.disk_bytes, "0755")));
  p.steps.push_back(mkdir_step(s + "/shm", 01777));
}

void plan_host_view(MountPlan& p, const spec::SandboxSpec& spec) {
  std::string root = kStagingNew;
  p.steps.push_back(mkdir_step(root, 0755));
  p.steps.push_back(step(MountOp::kTmpfs, "tmpfs", root, "size=1048576,mode=0755"));
  for (const auto& d : host_view_dirs()) {
    MountStep s = step(MountOp::kMirrorHost, d, in_new(d));
    s.optional = true;
    p.steps.push_back(s);
  }
  p.steps.push_back(mkdir_step(in_new("/etc"), 0755));
  // The host's /etc is staged once, read-only; each entry of the minimal /etc is then one
  // plain bind from it (a third of the syscalls of a bind from the host each).
  p.steps.push_back(mkdir_step(kStagingEtc, 0755));
  p.steps.push_back(step(MountOp::kStageHost, "/etc", kStagingEtc));
  for (const auto& e : host_view_etc()) {
    MountStep s =
        step(MountOp::kBindFromStage, std::string(kStagingEtc) + "/" + e, in_new("/etc/" + e));
    s.host_path = "/etc/" + e;
    s.optional = true;
    p.steps.push_back(s);
  }
  // The hostname resolves inside as on any host (getaddrinfo of one's own name): the
  // host's entries, and the sandbox's name on 127.0.1.1, as Docker and podman do.
  MountStep hosts = step(MountOp::kHostsFile, std::string(kStagingScratch) + "/hosts",
                         in_new("/etc/hosts"), spec.hostname);
  p.steps.push_back(hosts);
  // /tmp and home: directories of the scratch tmpfs, so one --disk cap bounds them all.
  std::string s = kStagingScratch;
  p.steps.push_back(mkdir_step(s + "/tmp", 01777));
  p.steps.push_back(mkdir_step(in_new("/tmp"), 01777));
  MountStep tmp = step(MountOp::kBindStaged, s + "/tmp", in_new("/tmp"));
  tmp.writable = true;
  p.steps.push_back(tmp);
  std::string home = spec::home_dir(spec);
  p.steps.push_back(mkdir_step(s + "/home", 0700, /*chown=*/true));
  p.steps.push_back(mkdir_step(in_new(home), 0700));
  MountStep h = step(MountOp::kBindStaged, s + "/home", in_new(home));
  h.writable = true;
  p.steps.push_back(h);
}

void plan_image(MountPlan& p, const spec::SandboxSpec& spec) {
  std::string s = kStagingScratch;
  p.steps.push_back(mkdir_step(kStagingLower, 0755));
  // Read-only and idmapped: owned by its own IDs on disk, root-owned inside. A directory
  // image is the one lower layer; a store image's layers are lower layers of their own,
  // /tmp/lower/0 the bottom one, stacked in overlay's order (the top one first).
  std::string lowerdir;
  if (spec.rootfs) {
    MountStep image = step(MountOp::kAttachTree, *spec.rootfs, kStagingLower);
    image.idmap = true;
    p.steps.push_back(image);
    lowerdir = kStagingLower;
  } else {
    const auto& layers = spec.image->layers;
    for (size_t i = 0; i < layers.size(); ++i) {
      std::string at = std::string(kStagingLower) + "/" + std::to_string(i);
      p.steps.push_back(mkdir_step(at, 0755));
      MountStep layer = step(MountOp::kAttachTree, layers[i], at);
      layer.idmap = true;
      p.steps.push_back(layer);
      lowerdir = lowerdir.empty() ? at : at + ":" + lowerdir;
    }
  }
  // The writable layer: the scratch tmpfs's, or an instance's own on disk (its upper/ and
  // work/, owned by the instance's slot), attached as it is: no idmap, its IDs are the slot's.
  std::string upper = s;
  if (spec.persistent_upper) {
    upper = kStagingPersist;
    p.steps.push_back(mkdir_step(upper, 0755));
    MountStep persist = step(MountOp::kAttachTree, *spec.persistent_upper, upper);
    persist.writable = true;
    p.steps.push_back(persist);
  } else {
    p.steps.push_back(mkdir_step(s + "/upper", 0755));
    p.steps.push_back(mkdir_step(s + "/work", 0755));
  }
  p.steps.push_back(mkdir_step(kStagingNew, 0755));
  // userxattr: overlay keeps its metadata in user.* xattrs, the only ones a
  // user namespace may write on tmpfs.
  p.steps.push_back(step(MountOp::kOverlay, "overlay", kStagingNew,
                         "lowerdir=" + lowerdir + ",upperdir=" + upper + "/upper,workdir=" + upper +
                             "/work,userxattr"));
  // /sys stays an empty read-only mount (--boot: a read-only sysfs, plan_boot); /tmp and
  // home live in the writable upper layer.
  if (!spec.boot) p.steps.push_back(step(MountOp::kMaskDir, {}, in_new("/sys")));
  p.steps.push_back(mkdir_step(in_new("/tmp"), 01777));
  // The default home, unless the environment names another (an image's user has the home
  // its /etc/passwd gives, which the image makes, or not, as under Docker).
  bool home_from_env = std::any_of(spec.env.begin(), spec.env.end(),
                                   [](const auto& kv) { return kv.first == "HOME"; });
  if (!home_from_env)
    p.steps.push_back(mkdir_step(in_new(spec::home_dir(spec)), 0700, /*chown=*/true));
}

// --boot: what an init expects of a container (systemd.io CONTAINER_INTERFACE): /run and
// /run/lock as tmpfs, a read-only sysfs with the host's firmware tables and power caps
// masked, and at /sys/fs/cgroup a cgroup2 mount whose root is the sandbox's own group
// (the child unshares its cgroup namespace in it before the mounts), delegated to root
// inside by the supervisor (isolate/cgroup.h).
void plan_boot(MountPlan& p) {
  p.steps.push_back(mkdir_step(in_new("/run"), 0755));
  p.steps.push_back(
      step(MountOp::kTmpfs, "tmpfs", in_new("/run"), tmpfs_opts(kBootRunBytes, "0755")));
  p.steps.push_back(mkdir_step(in_new("/run/lock"), 01777));
  p.steps.push_back(
      step(MountOp::kTmpfs, "tmpfs", in_new("/run/lock"), tmpfs_opts(kBootRunLockBytes, "01777")));
  p.steps.push_back(mkdir_step(in_new("/sys"), 0555));
  p.steps.push_back(step(MountOp::kSysfs, "sysfs", in_new("/sys")));
  for (const auto& d : sys_masked_dirs())
    p.steps.push_back(step(MountOp::kMaskDir, {}, in_new("/sys/" + d)));
  p.steps.push_back(step(MountOp::kCgroup2, "cgroup2", in_new("/sys/fs/cgroup")));
}

}  // namespace

const std::vector<std::string>& sys_masked_dirs() {
  static const std::vector<std::string> v = {"firmware", "devices/virtual/powercap", "kernel/debug",
                                             "kernel/tracing"};
  return v;
}

const std::vector<std::string>& host_view_dirs() {
  static const std::vector<std::string> v = {"/usr",   "/bin",   "/sbin",  "/lib",
                                             "/lib64", "/lib32", "/libx32"};
  return v;
}

const std::vector<std::string>& host_view_etc() {
  static const std::vector<std::string> v = {
      "passwd",          "group",      "hosts",        "resolv.conf",  "nsswitch.conf",
      "ld.so.cache",     "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl",
      "ca-certificates", "protocols",  "services",     "localtime"};
  return v;
}

const std::vector<std::string>& proc_masked_files() {
  static const std::vector<std::string> v = {
      "kcore",         "keys",        "timer_list", "sched_debug", "sysrq-trigger", "kallsyms",
      "latency_stats", "timer_stats", "kpagecount", "kpageflags",  "kpagecgroup"};
  return v;
}

const std::vector<std::string>& proc_masked_dirs() {
  static const std::vector<std::string> v = {"acpi", "scsi", "asound"};
  return v;
}

const std::vector<std::string>& proc_readonly() {
  static const std::vector<std::string> v = {"sys", "bus", "irq", "fs"};
  return v;
}

const std::vector<std::string>& dev_nodes() {
  static const std::vector<std::string> v = {"null", "zero", "full", "random", "urandom", "tty"};
  return v;
}

size_t MountPlan::tree_count() const {
  size_t n = 0;
  for (const auto& s : steps) n += s.op == MountOp::kAttachTree ? 1 : 0;
  return n;
}

MountPlan plan_mounts(const spec::SandboxSpec& spec) {
  MountPlan p;
  plan_scratch(p, spec);
  if (spec::has_image_root(spec)) {
    plan_image(p, spec);
  } else {
    plan_host_view(p, spec);
  }
  // /dev before /proc: the /proc masks bind the new root's /dev/null.
  plan_dev(p, spec.boot);
  if (spec.boot) plan_boot(p);
  plan_proc(p);
  // --net egress: names resolve through cordon's resolver, which listens on the sandbox's
  // own loopback (net/resolver.h); any other nameserver is out of its reach.
  if (spec.network.mode == spec::NetMode::kEgress)
    p.steps.push_back(step(MountOp::kTextFile, std::string(kStagingScratch) + "/resolv.conf",
                           in_new("/etc/resolv.conf"), kEgressResolvConf));
  for (const auto& b : spec.binds) {
    MountStep s = step(MountOp::kAttachTree, b.source, in_new(b.target));
    s.writable = b.writable;
    s.owner_map = b.mapping.owner_mapped;
    s.owner_uid = b.mapping.owner_uid;
    s.owner_gid = b.mapping.owner_gid;
    s.owned_by_sandbox = b.owned_by_sandbox;
    p.steps.push_back(s);
  }
  if (!spec::has_image_root(spec)) p.steps.push_back(step(MountOp::kSetReadOnly, {}, kStagingNew));
  return p;
}

NormalIds parse_login_defs(std::string_view text) {
  NormalIds ids;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t k = line.find_first_not_of(" \t");
    if (k == std::string_view::npos || line[k] == '#') continue;
    size_t ke = line.find_first_of(" \t", k);
    if (ke == std::string_view::npos) continue;
    std::string_view key = line.substr(k, ke - k);
    size_t v = line.find_first_not_of(" \t", ke);
    if (v == std::string_view::npos) continue;
    size_t ve = line.find_first_of(" \t#", v);
    std::string_view value = line.substr(v, ve == std::string_view::npos ? ve : ve - v);
    uint32_t n = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || ptr != value.data() + value.size()) continue;
    if (key == "UID_MIN") ids.uid_min = n;
    if (key == "UID_MAX") ids.uid_max = n;
    if (key == "GID_MIN") ids.gid_min = n;
    if (key == "GID_MAX") ids.gid_max = n;
  }
  return ids;
}

std::string owner_map_refusal(uint32_t uid, uint32_t gid, const NormalIds& ids,
                              const std::vector<uint32_t>& service_uids,
                              const std::vector<uint32_t>& service_gids) {
  auto in = [](const std::vector<uint32_t>& v, uint32_t id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  // Root is refused whatever login.defs says.
  if (uid == 0) return "owned by root";
  if (gid == 0) return "of group 0 (root's)";
  if (in(service_uids, uid) || in(service_gids, gid))
    return "owned by the IDs cordon runs as (" + std::to_string(uid) + ":" + std::to_string(gid) +
           ")";
  if (uid < ids.uid_min || uid > ids.uid_max)
    return "owner " + std::to_string(uid) + " is not a normal user (UID_MIN " +
           std::to_string(ids.uid_min) + " to UID_MAX " + std::to_string(ids.uid_max) + ")";
  if (gid < ids.gid_min || gid > ids.gid_max)
    return "group " + std::to_string(gid) + " is not a normal group (GID_MIN " +
           std::to_string(ids.gid_min) + " to GID_MAX " + std::to_string(ids.gid_max) + ")";
  return {};
}

namespace {

// The fields of each line of a colon-separated account file (passwd(5), group(5)).
template <typename F>
void for_each_entry(std::string_view text, F&& f) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    std::vector<std::string_view> fields;
    size_t start = 0;
    for (;;) {
      size_t c = line.find(':', start);
      fields.push_back(line.substr(start, c == std::string_view::npos ? c : c - start));
      if (c == std::string_view::npos) break;
      start = c + 1;
    }
    if (f(fields)) return;
  }
}

bool parse_id(std::string_view s, uint32_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::string subordinate_refusal(uint32_t uid, uint32_t gid, std::string_view subuid,
                                std::string_view subgid) {
  auto in_ranges = [](std::string_view text, uint64_t id) {
    std::vector<std::string> names;
    for_each_entry(text, [&](const std::vector<std::string_view>& f) {
      if (!f[0].empty()) names.emplace_back(f[0]);
      return false;
    });
    std::vector<IdRange> ranges = parse_subid(text, names);
    ranges.push_back({kFallbackStart, kFallbackCount});
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](const IdRange& r) { return id >= r.start && id - r.start < r.count; });
  };
  if (in_ranges(subuid, uid))
    return "owner " + std::to_string(uid) +
           " is a subordinate UID (/etc/subuid or cordon's slots), not a user";
  if (in_ranges(subgid, gid))
    return "group " + std::to_string(gid) +
           " is a subordinate GID (/etc/subgid or cordon's slots), not a group";
  return {};
}

std::string owner_group_refusal(uint32_t uid, uint32_t gid, std::string_view passwd,
                                std::string_view group) {
  std::string name;
  uint32_t primary = 0;
  bool found = false;
  for_each_entry(passwd, [&](const std::vector<std::string_view>& f) {
    uint32_t id = 0;
    if (f.size() < 4 || f[0].empty() || !parse_id(f[2], &id) || id != uid) return false;
    found = parse_id(f[3], &primary);
    name = std::string(f[0]);
    return found;
  });
  if (!found) return "owner " + std::to_string(uid) + " has no account in /etc/passwd";
  if (primary == gid) return {};
  bool member = false;
  for_each_entry(group, [&](const std::vector<std::string_view>& f) {
    uint32_t id = 0;
    if (f.size() < 4 || !parse_id(f[2], &id) || id != gid) return false;
    std::string_view users = f[3];
    size_t start = 0;
    for (;;) {
      size_t c = users.find(',', start);
      std::string_view u = users.substr(start, c == std::string_view::npos ? c : c - start);
      if (u == name) member = true;
      if (c == std::string_view::npos || member) break;
      start = c + 1;
    }
    return member;
  });
  if (member) return {};
  return "group " + std::to_string(gid) + " is neither the primary group of its owner " + name +
         " (" + std::to_string(uid) + ") nor a group in /etc/group listing " + name;
}

std::string owner_map_line(uint32_t owner, uint64_t host_id) {
  return std::to_string(owner) + " " + std::to_string(host_id) + " 1\n";
}

}  // namespace cordon::plan
