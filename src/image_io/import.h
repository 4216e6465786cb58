// `cordon image import`: an OCI image layout (a directory or a tar of one), a `docker save`
// archive, or a plain rootfs tarball (gzip, xz, zstd or none) into the store. Every blob is
// verified against its digest, and each layer's uncompressed sha256 against the config's
// diff_ids, before anything is kept; all of an import is prepared under the store's tmp/
// and committed at the end under the store's lock, so a failed import leaves nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "image/store.h"
#include "image_io/layer.h"

namespace cordon::image_io {

struct ImportProgress {
  std::string stage;   // "layer 2/5", "reading archive"
  uint64_t bytes = 0;  // read so far in this stage
  uint64_t total = 0;  // 0 when unknown
};

struct ImportOptions {
  std::string name;  // --name NAME:TAG (normalized); empty: the archive's own names, if any
  LayerLimits limits;
  uint64_t max_archive_bytes = 64ull << 30;  // an OCI or docker-save tar, staged
  std::function<void(const ImportProgress&)> progress;
  // The record's "source"; empty: "import PATH". `pull` (a registry fetch into an OCI
  // layout directory, then this import) passes "pull REF".
  std::string source;
};

struct ImportedImage {
  std::string manifest;           // sha256:HEX
  std::vector<std::string> refs;  // the names given to it
  std::string format;             // "oci-layout", "docker-save", "rootfs"
  size_t layers_unpacked = 0;
  size_t layers_reused = 0;
};

Result<std::vector<ImportedImage>> import_path(const image::Store& store, const std::string& path,
                                               const ImportOptions& options);

}  // namespace cordon::image_io
