// The slot's UID as an owner: of the sandbox's user namespace, and of every process that
// counts against the slot anywhere on the host.
//
// 1. The user namespace is made under the slot's own host UID, not the caller's. The
// kernel counts many things per user, and charges a process's use at every level of user
// namespaces up to the host's, where a child namespace's charges land on the user who
// owns it: inotify instances and watches (fs.inotify.max_user_*), POSIX message queue
// bytes (RLIMIT_MSGQUEUE), queued signals (RLIMIT_SIGPENDING), processes (RLIMIT_NPROC),
// locked shared memory (RLIMIT_MEMLOCK), fanotify groups, user namespaces. Made by root,
// every sandbox would draw from host root's one share, and one sandbox could starve the
// host and every other sandbox; owned by the slot's UID, each draws from a share of its
// own.
//
// 2. That same count is the host-wide truth of who uses a slot. Every process of a
// sandbox, whatever its UID inside, counts as a process of its namespace's owner, in the
// kernel's one table of users, whatever PID, mount or network namespace it lives in and
// whatever runtime directory its cordon saw. A lock file can be missed (another mount
// namespace, a cleaned /run); this count cannot. When a thread changes its UID, the
// kernel flags it (PF_NPROC_EXCEEDED) if the new user already has more processes than
// the process's RLIMIT_NPROC: with the limit set to N for that moment, the flag says
// whether more than N processes count against the slot.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/result.h"
#include "sys/process.h"

namespace cordon::isolate {

// clone3 (sys::clone3_fork's flags and cgroup fd) with the new user namespace owned by
// `owner`. Around the clone the calling thread takes owner as its UIDs while it keeps its
// capabilities (SECBIT_NO_SETUID_FIXUP), then goes back; the child returns in its new
// user namespace (which resets its securebits) with owner as its host UIDs.
//
// Refused with EBUSY, and nothing left running, when any other process counts against
// owner once the child is counted. Two cordons that take the same slot at once, each blind
// to the other's lock, cannot both pass: each one's child exists before its check, so the
// later of two checks sees the other's child (and a check that runs while the other
// cordon's thread is owner sees that thread: then both may give the slot up, never both
// keep it). The child has run nothing yet when it is refused. The child must be seen
// first (a positive control): a kernel that does not flag a privileged thread (5.15 and
// 5.16 with a change later reverted) would pass every slot as free, and is refused.
//
// Precondition: flags has CLONE_NEWUSER; the caller is single-threaded (RLIMIT_NPROC is
// the process's), has CAP_SETUID and CAP_SETPCAP, and sees /proc; Linux 5.14+ (per-user
// process counts across user namespaces). Fails closed.
Result<sys::CloneResult> clone_as_slot_owner(uid_t owner, uint64_t flags, int cgroup_fd);

}  // namespace cordon::isolate
