// The sandbox spec: what the caller asked for, as plain validated values.
// Both the CLI and (later) the API fill it; validate() is the one gate.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "spec/network.h"
#include "spec/seccomp_profile.h"

namespace cordon::spec {

// How a bind's files are owned inside (docs/spec.md, docs/threat-model.md):
//   kAuto   owner-mapped when the source's owner is a normal user of the host and the
//           mapping can be made; plain otherwise (the result says which, and why)
//   kOwner  owner-mapped, or the start fails
//   kPlain  no mapping: the host's IDs as they are (others' files show as nobody)
// Owner-mapped: an idmapped mount on which the source's owner UID and GID are the
// sandbox's user (root by default), both ways; no other ID is mapped.
enum class BindOwner { kAuto, kOwner, kPlain };
const char* to_string(BindOwner o);
Result<BindOwner> parse_bind_owner(std::string_view word);

// What the preflight (isolate/preflight.h) decided for a bind from the host: never read
// from the caller, never on the wire.
struct BindMapping {
  bool owner_mapped = false;
  uint32_t owner_uid = 0;  // the source's owner on the host, when owner_mapped
  uint32_t owner_gid = 0;
  std::string why_plain;  // kAuto that stayed plain: why
};

struct BindMount {
  BindMount() = default;
  BindMount(std::string src, std::string dst, bool rw)
      : source(std::move(src)), target(std::move(dst)), writable(rw) {}
  std::string source;  // host path
  std::string target;  // absolute path inside
  bool writable = false;
  BindOwner owner = BindOwner::kAuto;
  // The daemon's job workspace: a tmpfs cordon made for this sandbox alone, whose tree is
  // handed to the sandbox's user (chowned on the host to its slot IDs) before the command
  // starts. Writable only; the source must be the root of a tmpfs (checked at the start).
  bool owned_by_sandbox = false;
  BindMapping mapping;  // filled in by the preflight
  // What was asked: the mapping the preflight found is not part of it.
  bool operator==(const BindMount& o) const {
    return source == o.source && target == o.target && writable == o.writable && owner == o.owner &&
           owned_by_sandbox == o.owned_by_sandbox;
  }
};

// Field limits: a spec can come from an untrusted API caller.
inline constexpr size_t kMaxArgs = 4096;
inline constexpr size_t kMaxArgBytes = 1 << 20;  // all of argv and env together
inline constexpr size_t kMaxEnv = 1024;
inline constexpr size_t kMaxBinds = 64;
inline constexpr size_t kMaxPath = 4096;
inline constexpr size_t kMaxHostname = 64;
inline constexpr size_t kMaxImageLayers = 128;  // Docker's own cap on an image's layers
inline constexpr size_t kMaxImageRef = 512;
inline constexpr uint32_t kIdsPerSandbox = 65536;
inline constexpr uint64_t kMinDiskBytes = 1 << 20;

inline constexpr uint64_t kDefaultDiskBytes = 512ull << 20;
inline constexpr const char* kDefaultHostname = "cordon";
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Resource limits. Every one has a default, so that a sandbox started with no option
// cannot take the host down; 0 means "no limit" only where the field says so.
struct IoLimit {
  std::string device;  // a block device node on the host, e.g. /dev/vda
  uint32_t major = 0;  // its numbers, filled in from the host by the preflight
  uint32_t minor = 0;
  uint64_t read_bps = 0;   // 0: no read limit
  uint64_t write_bps = 0;  // 0: no write limit
  bool operator==(const IoLimit&) const = default;
};

inline constexpr uint64_t kDefaultMemoryBytes = 512ull << 20;
inline constexpr uint64_t kDefaultPids = 512;
inline constexpr uint32_t kDefaultCpuMillis = 1000;  // one CPU
inline constexpr uint32_t kDefaultCpuWeight = 100;
inline constexpr uint64_t kDefaultWallNs = 3600ull * 1000000000ull;     // 1 hour
inline constexpr uint64_t kDefaultStopGraceNs = 30ull * 1000000000ull;  // --stop-grace
inline constexpr uint64_t kDefaultOutputBytes = 64ull << 20;
inline constexpr uint64_t kDefaultNofile = 1024;
// No RLIMIT_FSIZE by default (the caller's stays, normally none): the disk limit already
// bounds every file the sandbox can write but those on a writable bind, and programs
// (test suites, databases) expect no file-size limit of their own.
inline constexpr uint64_t kDefaultFsizeBytes = 0;

inline constexpr uint64_t kMinMemoryBytes = 8ull << 20;
inline constexpr uint64_t kMaxMemoryBytes = 64ull << 40;  // 64T: a typo, not a machine
inline constexpr uint64_t kMinPids = 4;
inline constexpr uint32_t kMinCpuMillis = 10;
inline constexpr uint64_t kMinTimeNs = 1000000;  // 1 ms
inline constexpr uint64_t kMinNofile = 16;
inline constexpr size_t kMaxIoLimits = 16;

struct Limits {
  uint64_t memory_bytes = kDefaultMemoryBytes;
  // Memory plus swap, as Docker's --memory-swap; unset: equal to memory (swap off).
  std::optional<uint64_t> memory_swap_bytes;
  uint64_t pids = kDefaultPids;
  uint32_t cpu_millis = kDefaultCpuMillis;  // CPU quota in thousandths of a CPU (--cpus 1.5 = 1500)
  uint32_t cpu_weight = kDefaultCpuWeight;  // 1-10000, the cgroup v2 scale
  std::vector<IoLimit> io;                  // none by default
  uint64_t wall_ns = kDefaultWallNs;
  uint64_t cpu_time_ns = 0;                     // 0: bounded only by wall time and --cpus
  uint64_t output_bytes = kDefaultOutputBytes;  // stdout and stderr together
  uint64_t nofile = kDefaultNofile;
  uint64_t fsize_bytes = kDefaultFsizeBytes;  // 0: no RLIMIT_FSIZE set
  uint64_t stack_bytes = 0;                   // 0: RLIMIT_STACK as inherited (judges set it)
  bool operator==(const Limits&) const = default;
};

// The capabilities root inside gets. kDefault: those whose effect stays inside the
// sandbox's own user namespace and its own IDs (plan::namespaced_caps(), argued one by one
// in docs/threat-model.md); kNone: none in any set, and root's special treatment locked
// off (the strict opt-in).
enum class CapsChoice { kDefault, kNone };
Result<CapsChoice> parse_caps_choice(std::string_view arg);
const char* to_string(CapsChoice caps);

// An image of the store (`run --image`): its layers, each a directory unpacked once on
// the host and shared read-only by every sandbox (an idmapped mount each), under the
// sandbox's writable layer. Filled from the store by whoever resolved the reference
// (image/run_config.h); the image's config is already applied to the rest of the spec.
struct ImageRoot {
  std::string store;                // the store's root: its gc.lock is held for the run
  std::string ref;                  // as the caller named it
  std::string id;                   // sha256:HEX of its manifest
  std::vector<std::string> layers;  // host directories, bottom first
  bool operator==(const ImageRoot&) const = default;
};

struct SandboxSpec {
  std::vector<std::string> argv;
  // Set by --env, in order; later entries win. The rest of the environment is
  // PATH (the default above), HOME, and TERM and LANG copied from the caller.
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<std::string> rootfs;  // a directory image; unset = read-only view of the host
  std::optional<ImageRoot> image;     // an image of the store; never with rootfs
  // With an image root: a host directory holding `upper/` and `work/` on one filesystem,
  // the sandbox's writable layer kept across runs (an instance's), instead of a tmpfs one.
  // Owned on the host by the sandbox's root (its slot's base ID): so it needs slot_base.
  std::optional<std::string> persistent_upper;
  // The ID slot to run in (its base host ID), held for an instance's whole life so that
  // its files stay its own; unset: any free slot.
  std::optional<uint64_t> slot_base;
  std::vector<BindMount> binds;
  std::string workdir;  // empty = the home directory
  std::string hostname = kDefaultHostname;
  uid_t uid = 0;  // identity inside, < kIdsPerSandbox
  gid_t gid = 0;
  CapsChoice caps = CapsChoice::kDefault;
  uint64_t disk_bytes = kDefaultDiskBytes;  // size cap of the writable layer, /tmp and home
  Limits limits;
  // The cgroup under which the sandbox's own group is made (on v1, in every controller);
  // empty: the caller's own cgroup, so a sandbox never leaves its caller's accounting.
  std::string cgroup_parent;
  // Explicit opt-out of cgroup limits (--no-cgroup): no memory, pids or CPU bound. A
  // weaker setting, recorded in the result; for trusted work and for measuring.
  bool no_cgroup = false;
  // The syscall filter: the default allowlist unless said otherwise. kUnconfined is an
  // explicit opt-in, recorded in the result.
  SeccompChoice seccomp;
  bool seccomp_report = false;  // count the denied syscalls (docs/seccomp.md)
  // A pseudo-terminal of the sandbox's own as the command's stdin, stdout, stderr and
  // controlling terminal (`cordon run -t`); false: pipes.
  bool tty = false;
  // Boot mode (`cordon run --boot`, docs/images.md "Booting an init"): the command is the
  // image's init (systemd), exec'd as PID 1 of the sandbox's PID namespace, with /run,
  // /run/lock, a read-only /sys and a delegated cgroup2 at /sys/fs/cgroup, the boot
  // capabilities and seccomp profile (docs/threat-model.md), and a console. Only with an
  // image root. A stop (SIGTERM to cordon, the wall-time limit) is SIGRTMIN+3 to PID 1
  // (systemd's halt), then SIGKILL of the whole sandbox after stop_grace_ns.
  bool boot = false;
  uint64_t stop_grace_ns = kDefaultStopGraceNs;
  // The network (spec/network.h): none by default.
  NetworkSpec network;
};

// Pure checks of every field: shape, size, ranges. No filesystem access.
Status validate(const SandboxSpec& spec);
Status validate_limits(const Limits& limits);

// Whether the sandbox's root is an image (a directory or the store's) rather than the host view.
inline bool has_image_root(const SandboxSpec& spec) {
  return spec.rootfs.has_value() || spec.image.has_value();
}

// The home directory inside: /root for uid 0, /home/user otherwise.
std::string home_dir(const SandboxSpec& spec);

// Whether two specs make the same sandbox: everything but the command and the --env
// entries is equal. A sandbox started ahead for one can run the other's command.
bool same_sandbox(const SandboxSpec& a, const SandboxSpec& b);

// A path is "clean" when absolute, without "." or ".." parts, doubled or trailing slashes.
bool is_clean_absolute_path(const std::string& path);

}  // namespace cordon::spec
