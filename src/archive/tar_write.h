// Writing a tar archive piece by piece, for a job's files served as one download: POSIX
// ustar headers, with a pax extended header ('x') before an entry whose path does not fit
// ustar's fields or whose size does not fit its 11 octal digits. Only regular files and
// directories are written; no owner names, IDs 0, mtime as given. The caller streams each
// header, the file's data and its padding, and the end.
#pragma once

#include <cstdint>
#include <string>

namespace cordon::archive {

inline constexpr size_t kTarBlock = 512;

struct TarHeader {
  std::string path;  // relative, without a trailing '/'
  bool is_dir = false;
  uint32_t mode = 0644;  // permission bits (masked to 0777)
  uint64_t size = 0;     // files only
  int64_t mtime = 0;     // seconds since the epoch
};

// The header block(s) of one entry: 512 bytes, or more with a pax header first.
std::string tar_header(const TarHeader& h);
// The zero bytes after size bytes of data that fill its last block.
std::string tar_padding(uint64_t size);
// The end of the archive: two zero blocks.
std::string tar_end();

}  // namespace cordon::archive
