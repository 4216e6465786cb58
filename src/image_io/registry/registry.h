// The OCI registry client behind `cordon image pull`: fetches one image over the
// distribution API v2 into an OCI image layout directory, which the image store then
// imports. Only what this file says is done: no store, no unpacking.
//
// The manifest comes from GET /v2/REPO/manifests/REF (Accept: OCI index and manifest,
// Docker v2 manifest list and manifest); an index or list is resolved to the wanted
// platform (linux/amd64 by default) and that manifest fetched by digest; then the config
// and the layers from GET /v2/REPO/blobs/DIGEST, redirects followed (the registry's
// credentials go only to the registry itself). Authentication: anonymous first, then as
// the registry's 401 challenge asks (Bearer token from the realm, or Basic); a 401 from
// a server a redirect led to fails the pull instead.
//
// Every blob streams into LAYOUT/blobs/sha256/HEX.partial while its sha256 is computed,
// and is renamed to HEX only when its size and digest match its descriptor; a mismatch
// removes the partial file. A blob already at HEX whose content matches is not fetched
// again; a HEX.partial left by an interrupted pull is resumed with a Range request (a
// server that ignores Range sends the whole blob, which replaces it). index.json is
// written last, so a layout with one is complete.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "registry/auth.h"
#include "registry/manifest.h"

namespace cordon::registry {

struct RegistryRef {
  std::string registry;    // host[:port] ("registry-1.docker.io", "127.0.0.1:5000")
  std::string repository;  // "library/busybox"
  std::string reference;   // a tag ("latest") or a digest ("sha256:...")
};

struct FetchOptions {
  std::string ca_file;         // PEM CAs to trust for the registry; empty: the system's
  bool insecure_http = false;  // plain http: refused unless the registry is a loopback host
  std::optional<Credentials> credentials;
  Platform platform{"linux", "amd64", ""};
  uint64_t max_manifest_bytes = 4u << 20;  // an index or manifest
  uint64_t max_blob_bytes = 8ull << 30;    // a config or layer (compressed, as fetched)
  uint64_t max_image_bytes = 32ull << 30;  // the config and all layers together
  int timeout_ms = 30000;                  // connect, and any silence of a server
  // Set (by a signal handler, say) to stop the pull: checked before each blob and as each
  // piece of one arrives. The pull then fails with "cancelled" and keeps the partial
  // download, which the next pull into the same layout resumes.
  const std::atomic<bool>* cancel = nullptr;
};

// Credentials from a file whose first line is "user:password" (the password may contain
// ':'), at most 4 KiB; errors name the file.
Result<Credentials> credentials_from_file(const std::string& path);
// Credentials from CORDON_REGISTRY_USER and CORDON_REGISTRY_PASSWORD, when both are set.
std::optional<Credentials> credentials_from_env();

struct Progress {
  std::string digest;  // the blob being fetched
  std::string kind;    // "config" or "layer"
  size_t index = 0;    // the layer's position (0 for the config), of count
  size_t count = 0;    // layers in the image
  uint64_t done = 0;   // this blob's bytes on disk so far (resumed bytes included)
  uint64_t total = 0;  // this blob's size
  uint64_t all_done = 0;
  uint64_t all_total = 0;  // config and layers
};
using ProgressFn = std::function<void(const Progress&)>;

struct BlobFetch {
  std::string digest;
  uint64_t size = 0;
  uint64_t fetched = 0;       // bytes received over the network for it
  uint64_t resumed_from = 0;  // bytes of a .partial kept and continued with Range
  bool present = false;       // already in the layout, verified: not fetched
};

struct PullResult {
  std::string manifest_digest;  // the image manifest (platform-specific)
  std::string media_type;       // its media type
  std::string index_digest;     // the index or list it was chosen from, when there was one
  std::string config_digest;
  std::vector<std::string> layers;  // layer blob digests, bottom first
  uint64_t size = 0;                // config and layers
  uint64_t bytes_fetched = 0;       // over the network for config and layers
  std::vector<BlobFetch> blobs;     // config first, then the layers
};

// Checks ref's parts: the host (name or IP, optional port), the repository (lowercase
// path components of [a-z0-9._-]) and the reference (tag or sha256 digest).
Status check_ref(const RegistryRef& ref);

Result<PullResult> fetch_to_layout(const RegistryRef& ref, const std::string& layout_dir,
                                   const FetchOptions& opts, const ProgressFn& progress);

}  // namespace cordon::registry
