// Namespace syscalls that are not part of clone3.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

Status unshare(int flags);
// sethostname(2) in the caller's UTS namespace.
Status set_hostname(const std::string& name);
// /proc/PID/ns/NAME, opened O_RDONLY: a handle that keeps the namespace alive.
Result<UniqueFd> open_ns(pid_t pid, const char* name);
// Does this kernel have the namespace type NAME (user, time, cgroup, ...)?
bool kernel_has_ns(const char* name);

// A new user namespace with these maps ("INSIDE HOST COUNT\n" lines, written from this
// process, which needs CAP_SETUID and CAP_SETGID over the host IDs named), held by the
// O_RDONLY fd returned: what an idmapped mount (MOUNT_ATTR_IDMAP) takes. A short-lived
// child is made in it to own it while the maps are written; it is killed and reaped
// before the call returns, on every path. The child runs only async-signal-safe code, so
// the caller may have threads.
Result<UniqueFd> make_user_ns(const std::string& uid_map, const std::string& gid_map);

// setns(2) into the namespace fd names (nstype: CLONE_NEW*).
Status set_ns(int fd, int nstype);
// The inode of /proc/PID/ns/NAME: two namespaces are the same one iff these match.
Result<uint64_t> ns_id(pid_t pid, const char* name);

}  // namespace cordon::sys
