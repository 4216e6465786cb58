// Writing parsed tar entries (tar.h) into a job's workspace on the host. The daemon runs
// this as root on a tenant's archive, so the one promise here is: nothing is created,
// followed or changed outside the directory given.
#pragma once

#include <vector>

#include "archive/tar.h"
#include "base/result.h"

namespace cordon::archive {

// Creates the entries under dir_fd (a directory the caller opened), never outside it: every
// open and mkdir resolves beneath dir_fd with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV), so a symlink already in the tree (planted by an
// earlier sandbox, say) is an error, never followed. Files are created with
// O_CREAT|O_EXCL|O_NOFOLLOW: an existing file is an error, never overwritten. Missing parent
// directories are created with mode 0755. Owner: the caller; modes: the entries' exactly
// (not the umask's), directories' set last so that a read-only directory can still be
// filled. On error, what was created so far stays: the caller discards the workspace.
Status extract(int dir_fd, const std::vector<TarEntry>& entries);

}  // namespace cordon::archive
