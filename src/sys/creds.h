// Credentials and capabilities of the calling thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::sys {

// setgroups(0, NULL): no supplementary groups. Needs CAP_SETGID in the user namespace.
Status clear_groups();
Status set_ids(uid_t uid, gid_t gid);  // setresgid then setresuid
// Lock root's special treatment off (SECBIT_NOROOT and friends, locked). Needs CAP_SETPCAP.
Status lock_securebits();
// Drop from the bounding set every capability not in keep (needs CAP_SETPCAP, so before
// any uid change), and empty the ambient set.
Status drop_bounding_and_ambient(const std::vector<int>& keep);
// capset: permitted and effective set to the capabilities in caps, inheritable empty.
// Only lowers: a capability not already permitted cannot be added.
Status set_capabilities(const std::vector<int>& caps);

// The calling thread's securebits (PR_GET_SECUREBITS / PR_SET_SECUREBITS). Setting them
// needs CAP_SETPCAP, and a bit whose _LOCKED companion is set cannot change.
Result<unsigned long> get_securebits();
Status set_securebits(unsigned long bits);
// The calling thread's real, effective and saved UIDs, through the raw syscalls: unlike
// glibc's setresuid, which changes every thread of the process, only this thread's
// credentials change (what clone3 from this thread copies). Setting needs CAP_SETUID.
struct ThreadUids {
  uid_t real, effective, saved;
};
ThreadUids thread_uids();
Status set_thread_uids(const ThreadUids& uids);

// geteuid(2).
uid_t effective_uid() noexcept;
// getuid(2), getgid(2), getegid(2).
uid_t real_uid() noexcept;
gid_t real_gid() noexcept;
gid_t effective_gid() noexcept;
// A group's ID from /etc/group (read directly: the static binary has no NSS modules).
Result<gid_t> group_id(const std::string& name);

// Write a uid_map or gid_map of another process (from the parent side).
Status write_id_map(pid_t pid, const char* which, const std::string& content);

}  // namespace cordon::sys
