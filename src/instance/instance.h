// Instances (system containers): a named sandbox on an image of the store that lives on,
// stopped and started again, with its own writable layer on disk (instance/disk.h), its
// own ID slot for its whole life (so its files stay its own across runs), and its limits.
// docs/instances.md.
//
// On disk, under the instances root (default /var/lib/cordon/instances, 0700):
//   NAME/instance.json   the record (below)
//   NAME/disk.img        the instance's disk (its quota); NAME/disk/ its mountpoint
//   NAME/console.log     what its command (its init) wrote on stdout and stderr
//   NAME/run.lock        flock(2)ed exclusive by the instance's supervisor while it runs,
//                        holding the supervisor's PID: running means "its lock is held"
// The instance's slot is reserved (isolate/id_slot.h) and its image pinned in the store by
// a name of its own (instances.cordon.internal/NAME:pinned), so that neither a one-shot
// sandbox nor `cordon image rm` + `prune` can take them while the instance exists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "spec/spec.h"

namespace cordon::instance {

inline constexpr const char* kDefaultRoot = "/var/lib/cordon/instances";
inline constexpr uint64_t kDefaultDiskBytes = 2ull << 30;

struct InstanceRecord {
  std::string name;
  std::string image_ref;  // as created from
  std::string image_id;   // sha256:HEX, what it runs
  std::string store;      // the image store's root
  uint64_t slot_base = 0;
  uint64_t disk_bytes = kDefaultDiskBytes;
  spec::Limits limits;               // memory, pids, cpus (wall time: none by default)
  std::vector<std::string> command;  // empty: the image's Entrypoint and Cmd
  std::vector<std::pair<std::string, std::string>> env;
  bool boot = false;  // a system container: its command is the image's init, as PID 1
  uint64_t stop_grace_ns = spec::kDefaultStopGraceNs;  // stop: from SIGTERM to the kill
  bool want_running = false;  // started and not stopped since: autostart brings it back
  std::string created;        // RFC 3339, UTC
};

struct CreateRequest {
  std::string name;
  std::string image_ref;
  std::string store;
  uint64_t disk_bytes = kDefaultDiskBytes;
  spec::Limits limits;
  std::vector<std::string> command;
  std::vector<std::pair<std::string, std::string>> env;
  bool boot = false;  // default command: /sbin/init
  uint64_t stop_grace_ns = spec::kDefaultStopGraceNs;
};

// [a-z0-9][a-z0-9-]{0,57}: a hostname label too (it is the instance's hostname), and with
// "inst." the name its running sandbox is registered under (isolate/sandbox_state.h).
bool valid_instance_name(const std::string& name);
inline std::string registered_name(const std::string& instance) {
  return "inst." + instance;
}

class Instances {
 public:
  static Result<Instances> open(const std::string& root, bool create);
  const std::string& root() const { return root_; }
  std::string dir(const std::string& name) const { return root_ + "/" + name; }
  std::string disk_image(const std::string& name) const { return dir(name) + "/disk.img"; }
  std::string mountpoint(const std::string& name) const { return dir(name) + "/disk"; }
  std::string console_log(const std::string& name) const { return dir(name) + "/console.log"; }
  std::string run_lock(const std::string& name) const { return dir(name) + "/run.lock"; }

  // Creates the instance: its slot reserved, its image pinned, its disk made, its record
  // written. On failure nothing of it is left.
  Result<InstanceRecord> create(const CreateRequest& req) const;
  Result<InstanceRecord> load(const std::string& name) const;
  Result<std::vector<InstanceRecord>> list() const;
  Status save(const InstanceRecord& rec) const;
  // Removes a stopped instance and everything of it (disk, snapshots, slot, image pin).
  Status remove(const std::string& name) const;

  // The supervisor's PID when the instance runs (its run.lock held), else nullopt.
  std::optional<pid_t> running(const std::string& name) const;

  // The spec of a run of the instance: its image (config applied), its writable layer,
  // slot, hostname, limits. The disk must be mounted.
  Result<spec::SandboxSpec> sandbox_spec(const InstanceRecord& rec) const;

 private:
  explicit Instances(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

// The supervisor's side: run.lock taken (false when another supervisor holds it), with
// this process's PID written in it. The returned fd holds the lock.
Result<std::optional<UniqueFd>> take_run_lock(const Instances& in, const std::string& name);

// The store name that pins an instance's image.
std::string pin_name(const std::string& instance);

}  // namespace cordon::instance
