// Image layers read with libarchive and written by our own openat2-based writer, so a
// hostile layer cannot reach outside the directory it is unpacked into (docs/images.md,
// "Unpacking a layer").
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"

namespace cordon::image_io {

struct LayerLimits {
  uint64_t max_bytes = 8ull << 30;  // the sum of the entries' (apparent) sizes
  uint64_t max_entries = 500000;
  size_t max_path = 4096;  // bytes of an entry's path
};

// Called now and then with the compressed bytes read so far.
using ByteProgress = std::function<void(uint64_t)>;

struct LayerDigest {
  std::string diff_id;      // sha256:HEX of the uncompressed tar
  std::string compression;  // "none", "gzip", "xz", "zstd", ...
  uint64_t tar_bytes = 0;   // the uncompressed tar's length
};

// The layer blob at path decompressed (gzip, xz, zstd, bzip2 or none, by its magic; no other filter) and
// hashed. An uncompressed stream longer than max_tar_bytes is refused (a decompression bomb).
Result<LayerDigest> digest_layer(const std::string& path, uint64_t max_tar_bytes,
                                 const ByteProgress& progress = {});

struct UnpackStats {
  uint64_t size = 0;
  uint64_t entries = 0;
};

// Unpacks the layer blob at path into dest, a new empty directory (under the store's tmp/).
// Every entry is created by name in its parent, the parent opened with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS: nothing is written through a symlink. Refused, with an error naming
// the entry: an absolute path, "..", a path through a symlink, a device node or socket, a
// UID or GID above 65535, a hard link outside the layer or to a symlink or directory, more
// than limits.max_entries entries or limits.max_bytes bytes, a path longer than
// limits.max_path. Whiteouts (.wh.NAME) become char devices 0:0, opaque markers
// (.wh..wh..opq) the xattr user.overlay.opaque="y" on their directory. On an error dest is
// left as it is, for the caller to remove.
Result<UnpackStats> unpack_layer(const std::string& path, const std::string& dest,
                                 const LayerLimits& limits, const ByteProgress& progress = {});

}  // namespace cordon::image_io
