#include "instance/instance.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "image/ref.h"
#include "image/run_config.h"
#include "image/store.h"
#include "instance/disk.h"
#include "isolate/id_slot.h"
#include "sys/fs.h"
#include "sys/fs_at.h"
#include "sys/process.h"

namespace cordon::instance {

using nlohmann::json;

namespace {

constexpr size_t kMaxRecordBytes = 1 << 20;
// An instance runs until stopped: its wall-time "limit" is a century.
constexpr uint64_t kNoWallLimitNs = 100ull * 365 * 24 * 3600 * 1000000000ull;

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json to_json(const InstanceRecord& r) {
  json env = json::array();
  for (const auto& [k, v] : r.env) env.push_back({k, v});
  return {{"name", r.name},
          {"image", r.image_ref},
          {"image_id", r.image_id},
          {"store", r.store},
          {"slot_base", r.slot_base},
          {"disk_bytes", r.disk_bytes},
          {"memory_bytes", r.limits.memory_bytes},
          {"pids", r.limits.pids},
          {"cpu_millis", r.limits.cpu_millis},
          {"command", r.command},
          {"env", env},
          {"boot", r.boot},
          {"stop_grace_ns", r.stop_grace_ns},
          {"want_running", r.want_running},
          {"created", r.created}};
}

Result<InstanceRecord> from_json(const std::string& text, const std::string& path) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return logic_error("read instance", path, "not a JSON object");
  try {
    InstanceRecord r;
    r.name = j.at("name").get<std::string>();
    r.image_ref = j.at("image").get<std::string>();
    r.image_id = j.at("image_id").get<std::string>();
    r.store = j.at("store").get<std::string>();
    r.slot_base = j.at("slot_base").get<uint64_t>();
    r.disk_bytes = j.at("disk_bytes").get<uint64_t>();
    r.limits.memory_bytes = j.at("memory_bytes").get<uint64_t>();
    r.limits.pids = j.at("pids").get<uint64_t>();
    r.limits.cpu_millis = j.at("cpu_millis").get<uint32_t>();
    r.limits.wall_ns = kNoWallLimitNs;
    r.command = j.at("command").get<std::vector<std::string>>();
    for (const auto& e : j.at("env"))
      r.env.emplace_back(e.at(0).get<std::string>(), e.at(1).get<std::string>());
    r.want_running = j.at("want_running").get<bool>();
    r.boot = j.value("boot", false);
    r.stop_grace_ns = j.value("stop_grace_ns", spec::kDefaultStopGraceNs);
    r.created = j.at("created").get<std::string>();
    return r;
  } catch (const json::exception& e) {
    return logic_error("read instance", path, e.what());
  }
}

// Pins (or unpins) the instance's image in the store under a name of its own.
Status pin_image(const std::string& store_root, const std::string& instance,
                 const std::string& image_id, bool pin) {
  ASSIGN_OR_RETURN(image::Store store, image::Store::open(store_root, /*create=*/false));
  ASSIGN_OR_RETURN(image::StoreLock writing, store.lock(/*exclusive=*/true));
  ASSIGN_OR_RETURN(auto refs, store.read_refs());
  if (pin) {
    // Still there under the writers' lock: a prune since the resolve may have removed it.
    ASSIGN_OR_RETURN(std::string found, store.find(image_id));
    (void)found;
    refs[pin_name(instance)] = image_id;
  } else if (refs.erase(pin_name(instance)) == 0) {
    return {};
  }
  return store.write_refs(refs);
}

}  // namespace

std::string pin_name(const std::string& instance) {
  return std::string(image::kInstancePinRegistry) + "/" + instance + ":pinned";
}

bool valid_instance_name(const std::string& n) {
  if (n.empty() || n.size() > 58) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
    if (!ok) return false;
  }
  return true;
}

Result<Instances> Instances::open(const std::string& root, bool create) {
  if (!spec::is_clean_absolute_path(root))
    return Error{EINVAL, "open instances", root, "must be a clean absolute path"};
  if (create) TRY(sys::make_dirs(root, 0700));
  ASSIGN_OR_RETURN(struct stat st, sys::path_status(root, false));
  if (!S_ISDIR(st.st_mode)) return Error{ENOTDIR, "open instances", root, ""};
  // Disks and records of every tenant's instances: root's alone. Another owner could plant
  // symlinks that root would then follow; a mode wider than 0700 is only narrowed.
  if (st.st_uid != 0)
    return logic_error("open instances", root, "must be a directory of root's (mode 0700)");
  if ((st.st_mode & 077) != 0) TRY(sys::chmod_path(root, 0700));
  return Instances(root);
}

Result<InstanceRecord> Instances::load(const std::string& name) const {
  if (!valid_instance_name(name))
    return Error{EINVAL, "instance", name, "a name is [a-z0-9][a-z0-9-]{0,57}"};
  std::string path = dir(name) + "/instance.json";
  auto text = sys::read_small_file(path, kMaxRecordBytes);
  if (!text.ok()) {
    if (text.error().err == ENOENT) return Error{ENOENT, "instance", name, "no such instance"};
    return std::move(text).error();
  }
  return from_json(*text, path);
}

Status Instances::save(const InstanceRecord& rec) const {
  std::string path = dir(rec.name) + "/instance.json";
  std::string tmp = path + ".tmp";
  (void)sys::unlink_path(tmp);
  TRY(sys::write_new_file(tmp, to_json(rec).dump(2) + "\n", 0600));
  return sys::rename_path(tmp, path);
}

Result<std::vector<InstanceRecord>> Instances::list() const {
  ASSIGN_OR_RETURN(auto names, sys::list_dir(root_));
  std::sort(names.begin(), names.end());
  std::vector<InstanceRecord> out;
  for (const auto& n : names) {
    if (!valid_instance_name(n)) continue;
    auto r = load(n);
    if (r.ok()) out.push_back(std::move(r).value());
  }
  return out;
}

Result<InstanceRecord> Instances::create(const CreateRequest& req) const {
  if (!valid_instance_name(req.name))
    return Error{EINVAL, "instance", req.name, "a name is [a-z0-9][a-z0-9-]{0,57}"};
  TRY(spec::validate_limits(req.limits));
  // The image, resolved now and pinned by its ID.
  spec::SandboxSpec probe;
  image::ImageAsk ask;
  ask.ref = req.image_ref;
  ask.store = req.store;
  probe.argv = req.command;
  if (req.boot && probe.argv.empty()) probe.argv = {"/sbin/init"};
  if (req.boot) ask.entrypoint = std::vector<std::string>{};  // the init is the whole command
  TRY(image::use_image(&probe, ask));
  ASSIGN_OR_RETURN(isolate::SlotConfig slots, isolate::load_slot_config());
  // The directory is the claim on the name: made exclusively.
  Status claimed = sys::mkdir_at(AT_FDCWD, dir(req.name), 0700);
  if (!claimed.ok()) {
    if (claimed.error().err == EEXIST)
      return Error{EEXIST, "create instance", req.name, "an instance of this name exists"};
    return std::move(claimed).error();
  }
  InstanceRecord rec;
  rec.name = req.name;
  rec.image_ref = req.image_ref;
  rec.image_id = probe.image->id;
  rec.store = probe.image->store;
  rec.disk_bytes = req.disk_bytes;
  rec.limits = req.limits;
  rec.limits.wall_ns = kNoWallLimitNs;
  rec.command = req.command;
  if (req.boot && rec.command.empty()) rec.command = {"/sbin/init"};
  rec.boot = req.boot;
  rec.stop_grace_ns = req.stop_grace_ns;
  rec.env = req.env;
  rec.created = now_rfc3339();
  bool reserved = false, pinned = false;
  auto made = [&]() -> Status {
    ASSIGN_OR_RETURN(rec.slot_base, isolate::reserve_slot(slots, "instance " + req.name));
    reserved = true;
    TRY(pin_image(rec.store, rec.name, rec.image_id, true));
    pinned = true;
    uint32_t id = static_cast<uint32_t>(rec.slot_base);
    TRY(make_disk(disk_image(rec.name), rec.disk_bytes, mountpoint(rec.name), id, id));
    TRY(unmount_disk(mountpoint(rec.name)));
    return save(rec);
  }();
  if (!made.ok()) {
    (void)unmount_disk(mountpoint(rec.name));
    if (pinned) (void)pin_image(rec.store, rec.name, rec.image_id, false);
    if (reserved) (void)isolate::unreserve_slot(slots, rec.slot_base);
    (void)image::remove_tree(dir(rec.name));
    return std::move(made).error();
  }
  return rec;
}

Status Instances::remove(const std::string& name) const {
  ASSIGN_OR_RETURN(InstanceRecord rec, load(name));
  ASSIGN_OR_RETURN(isolate::SlotConfig slots, isolate::load_slot_config());
  // run.lock held for the whole removal: a start meanwhile finds it taken and starts
  // nothing (a check without the lock let a start in between, onto a disk being removed).
  ASSIGN_OR_RETURN(std::optional<UniqueFd> held, take_run_lock(*this, name));
  if (!held)
    return Error{EBUSY, "remove instance", name, "it is running (cordon instance stop first)"};
  TRY(unmount_disk(mountpoint(name)));
  // Never a walk into a mounted disk: what is below the mountpoint is the instance's own
  // tree, changed by its processes while it runs.
  if (disk_mounted(mountpoint(name)))
    return logic_error("remove instance", mountpoint(name), "its disk is still mounted");
  // Out of the name's way first (with the lock still held): a start from here on finds no
  // such instance, instead of a run.lock of its own in a directory being removed.
  std::string gone = root_ + "/.removing-" + name;
  (void)image::remove_tree(gone);  // a removal that crashed before
  TRY(sys::rename_path(dir(name), gone));
  (void)pin_image(rec.store, name, rec.image_id, false);  // a store gone meanwhile pins nothing
  TRY(image::remove_tree(gone));
  return isolate::unreserve_slot(slots, rec.slot_base);
}

std::optional<pid_t> Instances::running(const std::string& name) const {
  auto fd = sys::open_path(run_lock(name), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (!fd.ok()) return std::nullopt;
  auto free = sys::lock_file(fd->get(), /*exclusive=*/false, /*block=*/false);
  if (!free.ok() || *free) return std::nullopt;  // we got it: nobody runs the instance
  // 0 while its supervisor has the lock but has not written its PID yet.
  auto text = sys::read_small_file(run_lock(name), 64);
  pid_t pid = 0;
  if (text.ok()) pid = static_cast<pid_t>(std::strtol(text->c_str(), nullptr, 10));
  return pid > 0 ? pid : 0;
}

Result<spec::SandboxSpec> Instances::sandbox_spec(const InstanceRecord& rec) const {
  spec::SandboxSpec s;
  s.argv = rec.command;
  s.env = rec.env;
  s.hostname = rec.name;
  s.limits = rec.limits;
  // Its output goes to a console log that is started afresh past a size (cordon instance
  // supervises it), never to a caller: no output limit kills an instance.
  s.limits.output_bytes = UINT64_MAX / 4;
  s.disk_bytes = 64ull << 20;  // the scratch tmpfs (/dev/shm); the disk is the writable layer
  image::ImageAsk ask;
  ask.ref = rec.image_id;
  ask.store = rec.store;
  if (rec.boot) {
    ask.entrypoint = std::vector<std::string>{};  // the init is the whole command
    ask.user.emplace(std::string(1, '0'));        // and runs as the instance's root
  }
  TRY(image::use_image(&s, ask));
  s.boot = rec.boot;
  s.stop_grace_ns = rec.stop_grace_ns;
  s.image->ref = rec.image_ref;
  s.persistent_upper = mountpoint(rec.name) + "/" + kLayer;
  s.slot_base = rec.slot_base;
  return s;
}

Result<std::optional<UniqueFd>> take_run_lock(const Instances& in, const std::string& name) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_path(in.run_lock(name),
                                               O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  ASSIGN_OR_RETURN(bool got, sys::lock_file(fd.get(), /*exclusive=*/true, /*block=*/false));
  if (!got) return std::optional<UniqueFd>();
  // A lock on a file rm has unlinked meanwhile guards nothing: the instance is going.
  ASSIGN_OR_RETURN(struct stat st, sys::fd_status(fd.get()));
  if (st.st_nlink == 0) return Error{ENOENT, "instance", name, "it is being removed"};
  // The PID in one write of a fixed width (no truncate first): a reader never sees the
  // file empty while the lock is held.
  char pid[16];
  std::snprintf(pid, sizeof(pid), "%10d\n", static_cast<int>(sys::self_pid()));
  TRY(sys::write_at(fd.get(), std::string_view(pid, 11), 0, in.run_lock(name)));
  return std::optional<UniqueFd>(std::move(fd));
}

}  // namespace cordon::instance
