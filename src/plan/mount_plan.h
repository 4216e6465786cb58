// The mount plan: every mount of a sandbox's filesystem, in order, as plain data.
// Computed before clone from the spec alone; isolate/mounts.cc applies it.
//
// The child builds in its own mount namespace, on a staging tmpfs mounted over the host's
// /tmp (which every host has; the mount is private to the sandbox):
//   /tmp          the scratch tmpfs, the one writable, size-capped place: it holds /tmp,
//                 home and /dev/shm of the sandbox and the image's upper layer
//   /tmp/root     the sandbox's root, entered by one pivot_root at the end
//   /tmp/lower    the image, attached from an idmapped mount the parent made
// Host paths (kBindHost, kMirrorHost) are resolved against a handle on the host's root
// taken before anything is mounted, so the staging mount cannot hide them.
//
// Host trees that need the caller's privilege to open (the image, --bind sources) are
// opened by the parent as detached mounts (kAttachTree) and passed to the child in plan
// order; the child only attaches them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spec/spec.h"

namespace cordon::plan {

inline constexpr const char* kStagingScratch = "/tmp";
inline constexpr const char* kStagingNew = "/tmp/root";
inline constexpr const char* kStagingLower = "/tmp/lower";
inline constexpr const char* kStagingPersist = "/tmp/persist";  // an instance's writable layer
inline constexpr const char* kStagingEtc = "/tmp/etc";          // the host's /etc, read-only
// The resolv.conf of an egress sandbox: its resolver on its own loopback.
inline constexpr const char* kEgressResolvConf = "nameserver 127.0.0.53\noptions edns0 trust-ad\n";

enum class MountOp {
  kTmpfs,          // tmpfs at target, options in data
  kBindHost,       // a host path (source, absolute on the host) onto target; follows symlinks
  kMirrorHost,     // like kBindHost, but a host symlink is recreated as a symlink
  kStageHost,      // a host directory (source) bound read-only at a staging path (target),
                   // whose entries kBindFromStage then binds one by one
  kBindFromStage,  // a staged entry (source) onto target: a plain bind, which keeps the
                   // staged mount's read-only flags; a symlink falls back to kBindHost
                   // of host_path
  kBindStaged,     // a staging path (source) onto target
  kProc,           // a fresh procfs at target
  kDevpts,         // a private devpts instance at target
  kMqueue,         // an mqueue fs at target
  kMaskFile,       // /dev/null of the new root bound over target, when target exists
  kMaskDir,        // an empty read-only tmpfs over target, when target exists
  kReadOnly,       // target bound onto itself and made read-only, when target exists
  kSymlink,        // a symlink at target pointing to source
  kMkdir,          // a directory at target (mode, and owner inside when chown)
  kAttachTree,     // a detached mount of source made by the parent, attached at target
  kOverlay,        // overlay at target, options in data
  kSetReadOnly,    // the mount at target made read-only, not recursively (the last step)
  kFile,           // an empty regular file at target (mode), to bind onto later
  kSysfs,          // a fresh sysfs at target, read-only (--boot)
  kCgroup2,        // a cgroup2 mount at target: the root of the sandbox's cgroup namespace,
                   // its own group (--boot)
  kTextFile,       // data written to source (a scratch file out of the sandbox's reach) and
                   // bound read-only on target (a symlink there is replaced; a missing file
                   // made): --net egress's resolv.conf
  kHostsFile,      // target (the host's hosts file, bound already) copied to source (a
                   // scratch file out of the sandbox's reach) with a line naming the
                   // sandbox's hostname (data) added, and that copy bound read-only on target
};

struct MountStep {
  MountOp op;
  std::string source;
  std::string target;
  std::string data;
  bool writable = false;       // binds: read-write instead of read-only
  bool optional = false;       // host paths: skip when missing instead of failing
  bool is_device = false;      // binds of device nodes: keep dev, drop noexec
  uint32_t mode = 0755;        // kMkdir
  bool chown = false;          // kMkdir: owned by the sandbox's uid/gid
  bool idmap = false;          // kAttachTree: idmapped through the sandbox's user namespace
  std::string host_path = {};  // kBindFromStage: the host path of the entry, for a symlink
  // kAttachTree of a bind: idmapped so that owner_uid/owner_gid (host IDs, the source's
  // owner) are the sandbox's user, and nothing else is mapped (spec::BindOwner).
  bool owner_map = false;
  uint32_t owner_uid = 0;
  uint32_t owner_gid = 0;
  // kAttachTree of a bind: the source tree is chowned to the sandbox's user on the host
  // before it is opened (spec::BindMount::owned_by_sandbox).
  bool owned_by_sandbox = false;
};

struct MountPlan {
  std::vector<MountStep> steps;
  size_t tree_count() const;  // kAttachTree steps: the fds the parent passes
};

MountPlan plan_mounts(const spec::SandboxSpec& spec);

// The host's normal users and groups: UID_MIN..UID_MAX and GID_MIN..GID_MAX of
// /etc/login.defs (login.defs(5)), 1000..60000 where it says nothing.
struct NormalIds {
  uint32_t uid_min = 1000;
  uint32_t uid_max = 60000;
  uint32_t gid_min = 1000;
  uint32_t gid_max = 60000;
};
NormalIds parse_login_defs(std::string_view text);

// Why a source owned by uid:gid must not be owner-mapped, or empty when it may be: both
// IDs must be those of a normal user and group, and neither one of the service's own
// (the IDs the starting process runs as, given). Root and the system IDs below
// UID_MIN/GID_MIN are never mapped, nor anything above UID_MAX/GID_MAX (nobody, the
// subordinate ranges, cordon's slots).
std::string owner_map_refusal(uint32_t uid, uint32_t gid, const NormalIds& ids,
                              const std::vector<uint32_t>& service_uids,
                              const std::vector<uint32_t>& service_gids);

// Why uid:gid must not be mapped because one of them is a subordinate ID, or empty: in a
// range of the subuid (for uid) or subgid (for gid) text given, whoever's it is, or in
// the range cordon's slots take when those files name none for it (id_range.h). Such
// IDs belong to user namespaces (cordon's sandboxes among them), never to a user.
std::string subordinate_refusal(uint32_t uid, uint32_t gid, std::string_view subuid,
                                std::string_view subgid);

// Why the group gid must not be mapped with the owner uid, or empty when it may: the owner
// needs an account in the passwd file (text given), and gid must be that account's
// primary group or a group of the group file listing the account by name. Otherwise
// the sandbox would act as a group the owner is not in (and reach others' files of it).
std::string owner_group_refusal(uint32_t uid, uint32_t gid, std::string_view passwd,
                                std::string_view group);

// "OWNER HOST 1\n": the one line of an owner-mapped bind's maps (owner on disk, the
// sandbox's user on the host).
std::string owner_map_line(uint32_t owner, uint64_t host_id);

// --boot: what is masked (an empty read-only tmpfs) in the sandbox's sysfs, below /sys.
const std::vector<std::string>& sys_masked_dirs();
// --boot: the size caps of the /run and /run/lock tmpfs.
inline constexpr uint64_t kBootRunBytes = 64ull << 20;
inline constexpr uint64_t kBootRunLockBytes = 5ull << 20;

// Host directories and /etc entries of the default host view.
const std::vector<std::string>& host_view_dirs();
const std::vector<std::string>& host_view_etc();
// /proc entries masked, and those made read-only.
const std::vector<std::string>& proc_masked_files();
const std::vector<std::string>& proc_masked_dirs();
const std::vector<std::string>& proc_readonly();
const std::vector<std::string>& dev_nodes();

}  // namespace cordon::plan
