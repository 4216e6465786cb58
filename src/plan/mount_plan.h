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
#include <vector>

#include "spec/spec.h"

namespace cordon::plan {

inline constexpr const char* kStagingScratch = "/tmp";
inline constexpr const char* kStagingNew = "/tmp/root";
inline constexpr const char* kStagingLower = "/tmp/lower";
inline constexpr const char* kStagingEtc = "/tmp/etc";  // the host's /etc, read-only

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
};

struct MountPlan {
  std::vector<MountStep> steps;
  size_t tree_count() const;  // kAttachTree steps: the fds the parent passes
};

MountPlan plan_mounts(const spec::SandboxSpec& spec);

// Host directories and /etc entries of the default host view.
const std::vector<std::string>& host_view_dirs();
const std::vector<std::string>& host_view_etc();
// /proc entries masked, and those made read-only.
const std::vector<std::string>& proc_masked_files();
const std::vector<std::string>& proc_masked_dirs();
const std::vector<std::string>& proc_readonly();
const std::vector<std::string>& dev_nodes();

}  // namespace cordon::plan
