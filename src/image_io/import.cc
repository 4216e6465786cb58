#include "image_io/import.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "image/digest.h"
#include "image/oci.h"
#include "image/ref.h"
#include "image_io/reader.h"
#include "sys/fs.h"

namespace cordon::image_io {
namespace {

using image::Store;
namespace fs = std::filesystem;

constexpr uint64_t kMaxStagedEntries = 100000;

constexpr const char* kArch = image::kHostArch;

std::string now_rfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string hex_of(const std::string& d) {
  return d.substr(7);
}

// "./a/b" -> "a/b"; refuses an absolute path and "..".
Result<std::string> clean_name(const std::string& p, const std::string& archive) {
  std::string out;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    std::string c = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (c == "..") return logic_error("read archive", archive, "entry '" + p + "' has '..'");
    if (!c.empty() && c != ".") out += (out.empty() ? "" : "/") + c;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (!p.empty() && p[0] == '/')
    return logic_error("read archive", archive, "entry '" + p + "' is absolute");
  return out;
}

// Where an import's files come from: a directory, or files staged from a tar.
struct Source {
  std::string dir;
  std::map<std::string, std::string> staged;
  std::string label;

  Result<std::string> file(const std::string& name) const {
    ASSIGN_OR_RETURN(std::string n, clean_name(name, label));
    if (!dir.empty()) {
      std::string p = dir + "/" + n;
      auto m = sys::file_mode(p);
      if (!m.ok() || !S_ISREG(*m))
        return logic_error("import", label, "'" + n + "' is missing or not a regular file");
      return p;
    }
    auto it = staged.find(n);
    if (it == staged.end()) return logic_error("import", label, "'" + n + "' is missing");
    return it->second;
  }
};

class Import {
 public:
  Import(const Store& store, const ImportOptions& opts, std::string work)
      : store_(store), opts_(opts), work_(std::move(work)) {}

  // A blob copied (or moved, when staged) into the work dir and hashed: its hex. A mismatch
  // with expect_hex (when given) or expect_size (when >= 0) is refused.
  Result<std::string> take_blob(const Source& src, const std::string& name,
                                const std::string& expect_hex, int64_t expect_size);
  const std::string& blob_path(const std::string& hex) const { return blobs_.at(hex); }
  Result<std::string> put_json(const std::string& data);
  Result<image::LayerRecord> layer(const std::string& blob, const std::string& expect_diff,
                                   const std::string& stage, std::string* compression);
  Status commit(const std::vector<std::pair<std::string, std::string>>& refs);

  std::vector<image::ImageRecord> images;
  size_t unpacked = 0, reused = 0;

 private:
  const Store& store_;
  const ImportOptions& opts_;
  std::string work_;
  int counter_ = 0;
  std::map<std::string, std::string> blobs_;                                  // hex -> tmp path
  std::map<std::string, std::pair<std::string, image::LayerRecord>> layers_;  // hex -> dir, rec
  std::map<std::string, image::LayerRecord> by_blob_;  // blob hex -> its layer, once read
};

Result<std::string> Import::take_blob(const Source& src, const std::string& name,
                                      const std::string& expect_hex, int64_t expect_size) {
  if (!expect_hex.empty() && blobs_.count(expect_hex)) return expect_hex;
  ASSIGN_OR_RETURN(std::string path, src.file(name));
  std::string tmp = work_ + "/b" + std::to_string(counter_++);
  if (src.dir.empty()) {
    TRY(sys::rename_path(path, tmp));
  } else {
    std::error_code ec;
    fs::copy_file(path, tmp, ec);
    if (ec) return errno_error(ec.value(), "copy", path);
  }
  uint64_t size = 0;
  ASSIGN_OR_RETURN(std::string hex, image::sha256_file(tmp, &size));
  if (!expect_hex.empty() && hex != expect_hex)
    return logic_error(
        "verify blob", src.label + ": " + name,
        "digest mismatch: expected sha256:" + expect_hex + ", content is sha256:" + hex);
  if (expect_size >= 0 && size != static_cast<uint64_t>(expect_size))
    return logic_error("verify blob", src.label + ": " + name,
                       "size mismatch: the descriptor says " + std::to_string(expect_size) +
                           " bytes, the blob has " + std::to_string(size));
  blobs_[hex] = tmp;
  return hex;
}

Result<std::string> Import::put_json(const std::string& data) {
  std::string hex = image::sha256_hex(data);
  std::string tmp = work_ + "/b" + std::to_string(counter_++);
  TRY(sys::write_new_file(tmp, data, 0644));
  blobs_[hex] = tmp;
  return hex;
}

Result<image::LayerRecord> Import::layer(const std::string& blob_hex,
                                         const std::string& expect_diff, const std::string& stage,
                                         std::string* compression) {
  if (auto it = by_blob_.find(blob_hex); it != by_blob_.end()) return it->second;
  const std::string& blob = blobs_.at(blob_hex);
  uint64_t max_tar = opts_.limits.max_bytes + opts_.limits.max_entries * 1536 + (1 << 20);
  auto report = [&](uint64_t b) {
    if (opts_.progress) opts_.progress({stage, b, 0});
  };
  ASSIGN_OR_RETURN(LayerDigest d, digest_layer(blob, max_tar, report));
  if (compression) *compression = d.compression;
  if (!expect_diff.empty() && d.diff_id != expect_diff)
    return logic_error(
        "verify layer", stage,
        "its uncompressed sha256 is " + d.diff_id + ", the config's diff_id " + expect_diff);
  std::string hex = hex_of(d.diff_id);
  if (auto it = layers_.find(hex); it != layers_.end()) {
    ++reused;
    by_blob_[blob_hex] = it->second.second;
    return it->second.second;
  }
  ASSIGN_OR_RETURN(auto have, store_.layer(hex));
  if (have) {
    ++reused;
    by_blob_[blob_hex] = *have;
    return *have;
  }
  std::string dir = work_ + "/l" + hex;
  TRY(sys::make_dirs(dir, 0755));
  TRY(sys::chmod_path(dir, 0755));
  auto stats = unpack_layer(blob, dir, opts_.limits, report);
  if (!stats.ok()) {
    Error e = std::move(stats).error();
    e.step = stage + ": " + e.step;
    return e;
  }
  image::LayerRecord rec{d.diff_id, stats->size, stats->entries};
  layers_[hex] = {dir, rec};
  by_blob_[blob_hex] = rec;
  ++unpacked;
  return rec;
}

Status Import::commit(const std::vector<std::pair<std::string, std::string>>& refs) {
  ASSIGN_OR_RETURN(image::StoreLock lock, store_.lock(true));
  for (const auto& [hex, tmp] : blobs_) {
    if (store_.has_blob(hex)) continue;
    TRY(store_.commit_blob(tmp, hex));
  }
  for (const auto& [hex, v] : layers_) TRY(store_.commit_layer(v.first, v.second));
  for (const auto& r : images) TRY(store_.write_image(r));
  if (!refs.empty()) {
    ASSIGN_OR_RETURN(auto all, store_.read_refs());
    for (const auto& [name, manifest] : refs) all[name] = manifest;
    TRY(store_.write_refs(all));
  }
  return {};
}

// An image from a verified manifest and config: its layers, then its record.
Status import_layers(Import& im, const Source& src, const std::string& manifest_hex,
                     const image::Manifest& m, const image::ImageConfig& cfg,
                     const std::string& source) {
  if (cfg.diff_ids.size() != m.layers.size())
    return logic_error("import", src.label,
                       "the config lists " + std::to_string(cfg.diff_ids.size()) +
                           " diff_ids for " + std::to_string(m.layers.size()) + " layers");
  image::ImageRecord rec;
  rec.manifest = "sha256:" + manifest_hex;
  rec.config = m.config.digest;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    std::string stage = "layer " + std::to_string(i + 1) + "/" + std::to_string(m.layers.size());
    std::string bhex = hex_of(m.layers[i].digest);
    // Already taken (docker save, rootfs) or read now from the layout.
    ASSIGN_OR_RETURN(std::string got,
                     im.take_blob(src, "blobs/sha256/" + bhex, bhex, m.layers[i].size));
    (void)got;
    ASSIGN_OR_RETURN(image::LayerRecord l, im.layer(bhex, cfg.diff_ids[i], stage, nullptr));
    rec.layers.push_back(l.diff_id);
    rec.blobs.push_back(m.layers[i].digest);
    rec.size += l.size;
  }
  rec.platform = cfg.os + "/" + cfg.architecture + (cfg.variant.empty() ? "" : "/" + cfg.variant);
  rec.created = cfg.created;
  rec.source = source;
  im.images.push_back(std::move(rec));
  return {};
}

std::string source_of(const ImportOptions& opts, const std::string& path) {
  return opts.source.empty() ? "import " + path : opts.source;
}

bool platform_ok(const image::Descriptor& d) {
  return !d.platform || (d.platform->os == "linux" && d.platform->architecture == kArch);
}

Result<std::string> read_small(const std::string& path) {
  return sys::read_small_file(path, image::kMaxDocumentBytes);
}

// One manifest of an OCI layout (an index is resolved to this platform's manifest).
Status oci_manifest(Import& im, const Source& src, const image::Descriptor& desc, int depth,
                    const std::string& name, const std::string& source,
                    std::vector<std::pair<std::string, std::string>>* refs) {
  ASSIGN_OR_RETURN(std::string hex, image::digest_hex(desc.digest, src.label));
  ASSIGN_OR_RETURN(std::string got, im.take_blob(src, "blobs/sha256/" + hex, hex, desc.size));
  ASSIGN_OR_RETURN(std::string text, read_small(im.blob_path(got)));
  if (image::is_index_type(desc.media_type)) {
    if (depth > 1) return logic_error("import", src.label, "indexes nested too deep");
    ASSIGN_OR_RETURN(image::Index idx, image::parse_index(text, desc.digest));
    for (const auto& d : idx.manifests)
      if (platform_ok(d) && !image::is_index_type(d.media_type))
        return oci_manifest(im, src, d, depth + 1, name, source, refs);
    return logic_error("import", src.label,
                       "index " + desc.digest + " has no manifest for linux/" + kArch);
  }
  ASSIGN_OR_RETURN(image::Manifest m, image::parse_manifest(text, desc.digest));
  ASSIGN_OR_RETURN(std::string chex, image::digest_hex(m.config.digest, desc.digest));
  ASSIGN_OR_RETURN(std::string cgot,
                   im.take_blob(src, "blobs/sha256/" + chex, chex, m.config.size));
  ASSIGN_OR_RETURN(std::string ctext, read_small(im.blob_path(cgot)));
  ASSIGN_OR_RETURN(image::ImageConfig cfg, image::parse_config(ctext, m.config.digest));
  TRY(import_layers(im, src, hex, m, cfg, source));
  if (!name.empty()) refs->push_back({name, desc.digest});
  return {};
}

// A name from the archive or --name, normalized; a digest reference is refused as a name.
Result<std::string> normal_name(const std::string& text) {
  ASSIGN_OR_RETURN(image::Reference r, image::parse_reference(text));
  if (!r.digest.empty())
    return logic_error("image name", text, "is a digest reference; a name is NAME[:TAG]");
  return r.str();
}

Status import_oci(Import& im, const Source& src, const ImportOptions& opts,
                  std::vector<std::pair<std::string, std::string>>* refs) {
  ASSIGN_OR_RETURN(std::string lpath, src.file("oci-layout"));
  ASSIGN_OR_RETURN(std::string layout, read_small(lpath));
  if (layout.find("\"imageLayoutVersion\"") == std::string::npos)
    return logic_error("import", src.label, "oci-layout has no imageLayoutVersion");
  ASSIGN_OR_RETURN(std::string ipath, src.file("index.json"));
  ASSIGN_OR_RETURN(std::string itext, read_small(ipath));
  ASSIGN_OR_RETURN(image::Index idx, image::parse_index(itext, src.label + ": index.json"));
  std::vector<const image::Descriptor*> picked;
  for (const auto& d : idx.manifests)
    if (platform_ok(d)) picked.push_back(&d);
  if (picked.empty())
    return logic_error("import", src.label,
                       "index.json lists no image for linux/" + std::string(kArch));
  if (!opts.name.empty() && picked.size() > 1)
    return logic_error("import", src.label,
                       "index.json lists " + std::to_string(picked.size()) +
                           " images; --name names one (import without --name)");
  for (const auto* d : picked) {
    std::string name = opts.name;
    if (name.empty() && !d->ref_name.empty()) {
      // A bare tag ("latest") in org.opencontainers.image.ref.name names no repository.
      if (d->ref_name.find_first_of("/:") != std::string::npos) {
        auto n = normal_name(d->ref_name);
        if (n.ok()) name = *n;
      }
    }
    TRY(oci_manifest(im, src, *d, 0, name, source_of(opts, src.label), refs));
  }
  return {};
}

Status import_docker(Import& im, const Source& src, const ImportOptions& opts,
                     std::vector<std::pair<std::string, std::string>>* refs) {
  ASSIGN_OR_RETURN(std::string mpath, src.file("manifest.json"));
  ASSIGN_OR_RETURN(std::string mtext, read_small(mpath));
  ASSIGN_OR_RETURN(auto entries,
                   image::parse_docker_save_manifest(mtext, src.label + ": manifest.json"));
  if (!opts.name.empty() && entries.size() > 1)
    return logic_error("import", src.label, "the archive holds several images; --name names one");
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(std::string chex, im.take_blob(src, e.config, "", -1));
    ASSIGN_OR_RETURN(std::string ctext, read_small(im.blob_path(chex)));
    ASSIGN_OR_RETURN(image::ImageConfig cfg, image::parse_config(ctext, e.config));
    if (cfg.diff_ids.size() != e.layers.size())
      return logic_error("import", src.label, "the config's diff_ids and Layers differ in count");
    image::Manifest m;
    m.media_type = std::string(image::kDockerManifest);
    m.config = {std::string(image::kDockerConfig), "sha256:" + chex,
                static_cast<int64_t>(ctext.size()), std::nullopt, ""};
    for (size_t i = 0; i < e.layers.size(); ++i) {
      // docker save names no layer digest: the layer's own hash is its blob's, and the
      // config's diff_id (checked when it is unpacked) is what vouches for it.
      ASSIGN_OR_RETURN(std::string lhex, im.take_blob(src, e.layers[i], "", -1));
      ASSIGN_OR_RETURN(auto st, sys::path_status(im.blob_path(lhex), false));
      bool plain = "sha256:" + lhex == cfg.diff_ids[i];
      m.layers.push_back({plain ? "application/vnd.docker.image.rootfs.diff.tar"
                                : std::string(image::kDockerLayerGzip),
                          "sha256:" + lhex, static_cast<int64_t>(st.st_size), std::nullopt, ""});
    }
    ASSIGN_OR_RETURN(std::string mhex, im.put_json(image::manifest_json(m)));
    TRY(import_layers(im, src, mhex, m, cfg, source_of(opts, src.label)));
    std::vector<std::string> names;
    if (!opts.name.empty())
      names.push_back(opts.name);
    else
      for (const auto& t : e.repo_tags) {
        ASSIGN_OR_RETURN(std::string n, normal_name(t));
        names.push_back(n);
      }
    for (const auto& n : names) refs->push_back({n, "sha256:" + mhex});
  }
  return {};
}

Status import_rootfs(Import& im, const std::string& path, const ImportOptions& opts,
                     std::vector<std::pair<std::string, std::string>>* refs) {
  Source src{"/", {}, path};
  ASSIGN_OR_RETURN(std::string bhex, im.take_blob(src, path.substr(1), "", -1));
  std::string compression;
  ASSIGN_OR_RETURN(image::LayerRecord l, im.layer(bhex, "", "layer 1/1", &compression));
  image::ImageConfig cfg;
  cfg.architecture = kArch;
  cfg.os = "linux";
  cfg.created = now_rfc3339();
  cfg.diff_ids = {l.diff_id};
  ASSIGN_OR_RETURN(std::string chex, im.put_json(image::config_json(cfg)));
  std::string ctext = image::config_json(cfg);
  image::Manifest m;
  m.media_type = std::string(image::kOciManifest);
  m.config = {std::string(image::kOciConfig), "sha256:" + chex, static_cast<int64_t>(ctext.size()),
              std::nullopt, ""};
  std::string type = compression == "gzip"   ? std::string(image::kOciLayerGzip)
                     : compression == "zstd" ? std::string(image::kOciLayerZstd)
                     : compression == "xz"   ? std::string(image::kOciLayerXz)
                     : compression == "none" ? std::string(image::kOciLayerTar)
                                             : "";
  if (type.empty())
    return logic_error("import", path,
                       "compressed with " + compression + "; use gzip, xz, zstd or none");
  ASSIGN_OR_RETURN(auto st, sys::path_status(im.blob_path(bhex), false));
  m.layers.push_back({type, "sha256:" + bhex, static_cast<int64_t>(st.st_size), std::nullopt, ""});
  ASSIGN_OR_RETURN(std::string mhex, im.put_json(image::manifest_json(m)));
  TRY(import_layers(im, src, mhex, m, cfg, source_of(opts, path)));
  if (!opts.name.empty()) refs->push_back({opts.name, "sha256:" + mhex});
  return {};
}

enum class Format { kOci, kDocker, kRootfs };

// The names in a tar, for its format: an OCI layout has oci-layout and index.json, a
// docker save archive manifest.json (a newer one has both: read as OCI).
Result<Format> tar_format(const std::string& path) {
  ASSIGN_OR_RETURN(ArchivePtr a, open_archive(path, false));
  bool oci = false, docker = false;
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return logic_error(
          "read archive", path,
          archive_error_string(a.get()) ? archive_error_string(a.get()) : "not a tar");
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    while (name.rfind("./", 0) == 0) name = name.substr(2);
    if (name == "oci-layout") oci = true;
    if (name == "manifest.json") docker = true;
    // A name that neither an OCI layout nor a docker save archive has at its top makes it
    // a rootfs: decided at once, without reading the rest.
    std::string top = name.substr(0, name.find('/'));
    bool hexdir = top.size() >= 64 && image::is_sha256_hex(top.substr(0, 64)) &&
                  (top.size() == 64 || top.substr(64) == ".json");
    if (!oci && !docker && !top.empty() && !hexdir && top != "blobs" && top != "index.json" &&
        top != "oci-layout" && top != "manifest.json" && top != "repositories")
      return Format::kRootfs;
  }
  return oci ? Format::kOci : docker ? Format::kDocker : Format::kRootfs;
}

// The regular files of an OCI or docker save tar, staged under work/s*.
Result<Source> stage(const std::string& path, const std::string& work, const ImportOptions& opts) {
  Source src{"", {}, path};
  ASSIGN_OR_RETURN(ArchivePtr a, open_archive(path, false));
  uint64_t total = 0, n = 0;
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return logic_error("read archive", path, archive_error_string(a.get()));
    if (++n > kMaxStagedEntries) return logic_error("read archive", path, "too many entries");
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    ASSIGN_OR_RETURN(std::string name, clean_name(archive_entry_pathname(e), path));
    total += static_cast<uint64_t>(archive_entry_size(e));
    if (total > opts.max_archive_bytes)
      return logic_error("read archive", path, "holds more than the import limit of bytes");
    std::string dst = work + "/s" + std::to_string(n);
    ASSIGN_OR_RETURN(UniqueFd fd,
                     sys::open_path(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
    for (;;) {
      const void* buf = nullptr;
      size_t len = 0;
      la_int64_t off = 0;
      int d = archive_read_data_block(a.get(), &buf, &len, &off);
      if (d == ARCHIVE_EOF) break;
      if (d != ARCHIVE_OK && d != ARCHIVE_WARN)
        return logic_error("read archive", path + ": " + name, archive_error_string(a.get()));
      TRY(sys::write_at(fd.get(), std::string_view(static_cast<const char*>(buf), len),
                        static_cast<uint64_t>(off), dst));
    }
    TRY(sys::truncate_fd(fd.get(), static_cast<uint64_t>(archive_entry_size(e)), dst));
    if (opts.progress)
      opts.progress(
          {"reading archive", static_cast<uint64_t>(archive_filter_bytes(a.get(), -1)), 0});
    src.staged[name] = dst;
  }
  return src;
}

}  // namespace

Result<std::vector<ImportedImage>> import_path(const image::Store& store, const std::string& path,
                                               const ImportOptions& options) {
  ImportOptions opts = options;
  if (!opts.name.empty()) {
    ASSIGN_OR_RETURN(opts.name, normal_name(opts.name));
  }
  ASSIGN_OR_RETURN(struct stat st, sys::path_status(path, true));
  // Always resolved: a plain rootfs tarball's name is read as a path inside the source,
  // and "/tmp/x/../r.tar" would be refused there for its "..".
  ASSIGN_OR_RETURN(std::string abs, sys::real_path(path));
  // Held for the whole import: prune (which takes gc.lock exclusive) cannot remove a layer
  // this import found in the store and will reference.
  ASSIGN_OR_RETURN(image::StoreLock hold, store.hold_layers());
  ASSIGN_OR_RETURN(std::string work, store.tmp_name("import"));
  TRY(sys::make_dirs(work, 0700));
  struct Sweep {
    std::string dir;
    ~Sweep() { (void)image::remove_tree(dir); }
  } sweep{work};
  Import im(store, opts, work);
  std::vector<std::pair<std::string, std::string>> refs;
  std::string format;
  if (S_ISDIR(st.st_mode)) {
    Source src{abs, {}, abs};
    if (sys::file_mode(abs + "/oci-layout").ok()) {
      format = "oci-layout";
      TRY(import_oci(im, src, opts, &refs));
    } else if (sys::file_mode(abs + "/manifest.json").ok()) {
      format = "docker-save";
      TRY(import_docker(im, src, opts, &refs));
    } else {
      return logic_error(
          "import", abs,
          "a directory must be an OCI image layout (oci-layout, index.json, blobs/)");
    }
  } else if (S_ISREG(st.st_mode)) {
    ASSIGN_OR_RETURN(Format f, tar_format(abs));
    if (f == Format::kRootfs) {
      format = "rootfs";
      TRY(import_rootfs(im, abs, opts, &refs));
    } else {
      ASSIGN_OR_RETURN(Source src, stage(abs, work, opts));
      format = f == Format::kOci ? "oci-layout" : "docker-save";
      TRY(f == Format::kOci ? import_oci(im, src, opts, &refs)
                            : import_docker(im, src, opts, &refs));
    }
  } else {
    return logic_error("import", abs, "is neither a file nor a directory");
  }
  TRY(im.commit(refs));
  std::vector<ImportedImage> out;
  for (const auto& r : im.images) {
    ImportedImage i;
    i.manifest = r.manifest;
    i.format = format;
    for (const auto& [n, m] : refs)
      if (m == r.manifest) i.refs.push_back(n);
    i.layers_unpacked = im.unpacked;
    i.layers_reused = im.reused;
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace cordon::image_io
