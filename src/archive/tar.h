// The tar archives a tenant uploads as a job's input files: hostile bytes, parsed in memory
// into a flat list of files and directories, with nothing else let through (no links, no
// devices, no owners, no setuid bits, no path that could leave the workspace). Writing them
// out is extract.h's concern.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cordon::archive {

struct TarLimits {
  size_t max_entries = 10000;               // files and directories, not metadata headers
  uint64_t max_total_bytes = 256ull << 20;  // sum of file sizes
  uint64_t max_file_bytes = 256ull << 20;
  size_t max_path = 1024;  // bytes of one path, as written in the archive
  size_t max_depth = 32;   // path components
};

struct TarEntry {
  enum class Type { kFile, kDir };
  std::string path;  // normalized, relative, no "." / ".." / empty components, no leading '/'
  Type type = Type::kFile;
  uint32_t mode = 0;      // permission bits only, masked to 0777 (never setuid/setgid/sticky)
  std::string_view data;  // into the input (files only)
};

// Pure: parses a ustar / GNU / POSIX pax archive held in memory. Regular files ('0', '\0'),
// directories ('5'), GNU long names ('L') and pax extended headers ('x': path and size; 'g'
// is skipped) are understood. Refused, with an error naming the entry: symlinks, hard links,
// devices, fifos and every other type; absolute paths, ".." components, NUL in names;
// bad checksums; size fields that overflow or exceed the limits; truncated data; duplicate
// paths and a path used both as a file and as a directory; anything over a limit. The
// archive ends at two zero blocks or at the end of input. A directory entry naming the
// archive's own root ("./") is dropped. The result's views point into bytes.
Result<std::vector<TarEntry>> parse_tar(std::string_view bytes, const TarLimits& limits = {});

}  // namespace cordon::archive
