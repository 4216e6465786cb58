// The on-disk image store (docs/images.md): verified blobs by sha256, layers unpacked
// once by the sha256 of their uncompressed tar, image records, and refs.json. No archive
// code here: the static cordon links this library (`run --image` resolves through it);
// unpacking is src/image_io/'s.
//
// Locks: STORE/lock is flock(2)ed exclusive by a writer of metadata (blobs, layers, image
// records, refs) for the short time of its change, shared by a reader. STORE/gc.lock is
// held shared by whoever uses layers (an import, for its whole run; a running sandbox, for
// its life) and exclusive, without waiting, by prune: so prune never removes a layer in use.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "image/oci.h"

namespace cordon::image {

inline constexpr const char* kDefaultStore = "/var/lib/cordon/store";

struct LayerRecord {
  std::string diff_id;  // sha256:HEX
  uint64_t size = 0;    // bytes of the files' contents (apparent sizes)
  uint64_t entries = 0;
};

struct ImageRecord {
  std::string manifest;             // sha256:HEX (the image's ID)
  std::string config;               // sha256:HEX
  std::vector<std::string> layers;  // diff IDs, bottom first
  std::vector<std::string> blobs;   // layer blobs as stored (compressed or not), same order
  std::string platform;             // "linux/amd64"
  uint64_t size = 0;                // sum of the layers' sizes
  std::string created;
  std::string source;  // "import PATH" | "pull REF"
};

// What `run --image` needs: the record, its config, and the layer directories, bottom first.
struct ResolvedImage {
  ImageRecord record;
  ImageConfig config;
  std::vector<std::string> layer_dirs;
  std::vector<std::string> refs;  // the names pointing at it
};

struct PruneReport {
  std::vector<std::string> blobs;   // removed, sha256:HEX
  std::vector<std::string> layers;  // removed, sha256:HEX
  uint64_t tmp_entries = 0;         // swept from tmp/
};

class StoreLock {
 public:
  StoreLock() = default;
  explicit StoreLock(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;  // closing it releases the flock
};

class Store {
 public:
  // The store at root; create: make the layout if missing (0700 root, 0755 below for the
  // layers a sandbox reads). Without create, a missing store is ENOENT.
  static Result<Store> open(const std::string& root, bool create);

  const std::string& root() const { return root_; }
  std::string blob_path(const std::string& hex) const;
  std::string layer_dir(const std::string& hex) const;
  std::string tmp_dir() const { return root_ + "/tmp"; }

  // STORE/lock, exclusive (a writer) or shared (a reader); waits.
  Result<StoreLock> lock(bool exclusive) const;
  // STORE/gc.lock: shared by layer users (waits); exclusive for prune (never waits: false
  // in the result when someone holds it).
  Result<StoreLock> hold_layers() const;
  Result<std::optional<StoreLock>> try_prune_lock() const;

  // A fresh directory or file name under tmp/ (not created).
  Result<std::string> tmp_name(const std::string& prefix) const;

  bool has_blob(const std::string& hex) const;
  // The file at tmp_path (under tmp/) becomes blobs/sha256/HEX if its sha256 is hex; it
  // is hashed here, whatever the caller checked. On a mismatch the file is removed and the
  // error names both digests.
  Status commit_blob(const std::string& tmp_path, const std::string& hex) const;
  // A small blob (JSON) from memory: written under tmp/, fsynced, renamed. Gives its hex.
  Result<std::string> put_blob(std::string_view data) const;
  Result<std::string> read_blob(const std::string& hex, size_t max) const;

  // The layer's record, when its directory is complete.
  Result<std::optional<LayerRecord>> layer(const std::string& hex) const;
  // tmp_dir (an unpacked layer under tmp/) becomes layers/sha256/HEX with its record.
  // Caller holds lock(true). If the layer is already complete, tmp_dir is removed and the
  // existing one kept; a directory without its record (an interrupted commit) is replaced.
  Status commit_layer(const std::string& tmp_dir, const LayerRecord& rec) const;

  Status write_image(const ImageRecord& rec) const;
  Result<std::optional<ImageRecord>> read_image(const std::string& hex) const;
  Result<std::vector<ImageRecord>> list_images() const;
  Status remove_image(const std::string& hex) const;

  // refs.json: normalized name -> sha256:MANIFEST.
  Result<std::map<std::string, std::string>> read_refs() const;
  Status write_refs(const std::map<std::string, std::string>& refs) const;

  // REF: a name (normalized as Docker does), NAME@sha256:..., sha256:HEX, or a prefix of at
  // least 12 hex digits of an image ID. Gives the manifest's hex; ENOENT-style error
  // (err = ENOENT) when no image matches, naming the normalized reference.
  Result<std::string> find(const std::string& ref) const;
  Result<ResolvedImage> resolve(const std::string& ref) const;

  // Removes every blob and layer no image record names, unfinished layer directories, and
  // tmp/. Caller holds try_prune_lock() and lock(true).
  Result<PruneReport> prune() const;

 private:
  explicit Store(std::string root) : root_(std::move(root)) {}
  Status write_atomic(const std::string& path, std::string_view data) const;
  std::string root_;
};

// Removes a tree the store made (std::filesystem::remove_all, which follows no symlink).
Status remove_tree(const std::string& path);

}  // namespace cordon::image
