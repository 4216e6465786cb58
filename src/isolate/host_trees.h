// Parent side of the mount plan: the host trees that only the caller may open (the
// image, --bind sources) become detached mounts with their final attributes set here,
// on the host, before the child attaches them.
//
// Owner-mapped binds (spec::BindOwner, docs/threat-model.md): decided by the preflight
// (decide_bind_mapping), made at the start (open_host_trees) with a user namespace of
// their own whose maps hold one line each, the source's owner to the sandbox's user.
#pragma once

#include <sys/types.h>

#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/mount_plan.h"
#include "spec/spec.h"

namespace cordon::isolate {

// The host IDs of the sandbox's user (its slot's base plus the UID and GID inside).
struct SandboxHostIds {
  uint64_t uid = 0;
  uint64_t gid = 0;
};

// One fd per kAttachTree step, in plan order. userns_fd: the sandbox's user namespace,
// for idmapped trees (the image). Owner-mapped binds are mapped to ids, and trees owned by
// the sandbox are chowned to ids first. An owner-mapped bind whose source's owner is no
// longer the one the preflight saw fails the start.
Result<std::vector<UniqueFd>> open_host_trees(const plan::MountPlan& plan, int userns_fd,
                                              const SandboxHostIds& ids);

// The preflight's decision for one bind (its source checked already): fills b->mapping.
// seccomp_confined: the sandbox has a syscall filter (the set-ID rule needs one). kOwner
// that cannot be made fails with the reason; kAuto then stays plain, with the reason in
// b->mapping.why_plain. The owner must be a normal user with an account (not a
// subordinate ID), the group his primary group or one listing him; a writable source is
// walked for set-ID and capability files (docs/threat-model.md). Whether the source's
// filesystem takes an idmapped mount is tried here, on a detached copy that is dropped
// at once.
Status decide_bind_mapping(spec::BindMount* b, bool seccomp_confined);

}  // namespace cordon::isolate
