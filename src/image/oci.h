// Strict parsers of the image documents: the OCI image index (and Docker's manifest list),
// the OCI image manifest (and Docker's schema 2), the OCI image config, and the
// manifest.json of a `docker save` archive. Unknown fields are ignored (both formats grow);
// every field read is checked for its type, digests must be sha256:HEX, sizes are bounded,
// and a duplicate key, a NUL byte or deep nesting refuses the document (json_strict.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cordon::image {

// This host's architecture in OCI's words: the only one the store keeps.
#if defined(__x86_64__)
inline constexpr const char* kHostArch = "amd64";
#elif defined(__aarch64__)
inline constexpr const char* kHostArch = "arm64";
#else
inline constexpr const char* kHostArch = "unknown";
#endif

inline constexpr size_t kMaxDocumentBytes = 4 << 20;  // an index, manifest or config
inline constexpr size_t kMaxManifests = 1024;         // entries of an index
inline constexpr size_t kMaxLayers = 256;             // layers of an image (Docker: 127)
inline constexpr size_t kMaxConfigStrings = 4096;     // Env, Cmd, Entrypoint entries each
inline constexpr size_t kJsonDepth = 32;

inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
// Not an OCI media type: what a plain rootfs tarball compressed with xz is recorded as.
inline constexpr std::string_view kOciLayerXz = "application/vnd.oci.image.layer.v1.tar+xz";
inline constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  std::string digest;  // sha256:HEX
  int64_t size = 0;
  std::optional<Platform> platform;
  // annotations "io.containerd.image.name" (a full reference), else
  // "org.opencontainers.image.ref.name" (in an OCI layout's index.json); empty when none.
  std::string ref_name;
};

struct Index {
  std::string media_type;  // may be empty in an OCI layout's index.json
  std::vector<Descriptor> manifests;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string variant;
  std::string created;
  std::vector<std::string> env;
  std::optional<std::vector<std::string>> entrypoint;  // null and [] differ (Docker)
  std::optional<std::vector<std::string>> cmd;
  std::string working_dir;
  std::string user;
  std::vector<std::string> diff_ids;  // sha256:HEX, bottom layer first
};

struct DockerSaveEntry {
  std::string config;                  // a path in the archive
  std::vector<std::string> repo_tags;  // may be empty
  std::vector<std::string> layers;     // paths in the archive, bottom first
};

// Each parser names `what` (a file or digest) in its errors.
Result<Index> parse_index(std::string_view text, std::string_view what);
Result<Manifest> parse_manifest(std::string_view text, std::string_view what);
Result<ImageConfig> parse_config(std::string_view text, std::string_view what);
Result<std::vector<DockerSaveEntry>> parse_docker_save_manifest(std::string_view text,
                                                                std::string_view what);

// Whether a media type names an index (OCI or Docker manifest list), a manifest, or a layer
// this store can unpack.
bool is_index_type(std::string_view media_type);
bool is_manifest_type(std::string_view media_type);
bool is_layer_type(std::string_view media_type);

// A synthesized manifest and config for an image with no documents of its own (a plain
// rootfs tarball; a docker save archive's manifest), as canonical JSON text.
std::string manifest_json(const Manifest& m);
std::string config_json(const ImageConfig& c);

}  // namespace cordon::image
