// One way to open an archive for reading, for the layer unpacker and the importer: the
// tar format (or raw, for a layer's digest), and only the decompressions images use.
#pragma once

#include <archive.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace cordon::image_io {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// gzip, xz, zstd, bzip2 or none, found by their magic; nothing else. Never
// archive_read_support_filter_all: it enables filters (lrzip, grzip, lzop without
// liblzo) that run an external program found on PATH, here as root on hostile bytes.
// raw: the decompressed stream as one entry (to hash a layer); else a tar.
Result<ArchivePtr> open_archive(const std::string& path, bool raw);

}  // namespace cordon::image_io
