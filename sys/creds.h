// Credentials and capabilities of the calling thread.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"

namespace cordon::sys {

// setgroups(0, NULL): no supplementary groups. Needs CAP_SETGID in the user namespace.
Status clear_groups();
Status set_ids(uid_t uid, gid_t gid);  // setresgid then setresuid
// Lock root's special treatment off (SECBIT_NOROOT and friends, locked). Needs CAP_SETPCAP.
Status lock_securebits();
// Empty the bounding set (needs CAP_SETPCAP, so before any uid change), the ambient set,
// and then inheritable, permitted and effective through capset.
Status drop_bounding_and_ambient();
Status clear_capabilities();

// Write a uid_map or gid_map of another process (from the parent side).
Status write_id_map(pid_t pid, const char* which, const std::string& content);

}  // namespace cordon::sys
