// The registry documents a pull reads, parsed strictly (base/json_strict.h) and checked
// before anything they name is fetched: OCI image index and manifest, Docker v2 manifest
// list and manifest (schema 2). Every digest must be sha256:<64 lowercase hex> and every
// size a non-negative integer within the caller's cap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cordon::registry {

inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
// Most layers an image may have, and most entries an index may list.
inline constexpr size_t kMaxLayers = 500;
inline constexpr size_t kMaxIndexEntries = 1000;

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  // empty: any
};

struct Descriptor {
  std::string media_type;
  std::string digest;  // sha256:HEX
  uint64_t size = 0;
  std::optional<Platform> platform;  // index entries only
};

struct Manifest {
  std::string media_type;  // one of the four above
  bool is_index = false;
  std::vector<Descriptor> manifests;  // an index's entries
  Descriptor config;                  // a manifest's config
  std::vector<Descriptor> layers;     // a manifest's layers, bottom first
};

bool is_sha256_digest(std::string_view s);

// body as served; content_type the response's Content-Type (parameters ignored). The
// document's own mediaType wins; when it has none the Content-Type says, and when that
// says nothing known either, the fields do ("manifests" or "layers"). what names the
// document in errors; max_blob caps every size it declares.
Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type,
                                uint64_t max_blob, const std::string& what);

// The index entry for want (os and architecture equal; variant equal when want names
// one, else the entry without a variant or "v8"-style default first).
Result<Descriptor> select_platform(const Manifest& index, const Platform& want,
                                   const std::string& what);

}  // namespace cordon::registry
