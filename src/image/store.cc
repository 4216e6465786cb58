#include "image/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "base/json_strict.h"
#include "image/digest.h"
#include "image/ref.h"
#include "sys/creds.h"
#include "sys/fs.h"
#include "sys/fs_at.h"
#include "sys/process.h"
#include "sys/random.h"

namespace cordon::image {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr size_t kMaxRecordBytes = 1 << 20;
constexpr size_t kMaxRefsBytes = 16 << 20;

Result<json> read_json_file(const std::string& path, size_t max) {
  ASSIGN_OR_RETURN(std::string text, sys::read_small_file(path, max));
  JsonError err;
  auto j = parse_json_strict(text, 8, &err);
  if (!j || !j->is_object()) return logic_error("read", path, "not a JSON object: " + err.message);
  return std::move(*j);
}

bool exists(const std::string& path) {
  return sys::file_mode(path).ok();
}

std::string hex_of(const std::string& digest) {
  return digest.size() > 7 ? digest.substr(7) : digest;
}

Result<std::vector<std::string>> names_in(const std::string& dir) {
  auto names = sys::list_dir(dir);
  if (!names.ok() && names.error().err == ENOENT) return std::vector<std::string>();
  return names;
}

}  // namespace

Status remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return errno_error(ec.value(), "remove", path);
  return {};
}

// The store's root is root's alone (0700): its layers are unpacked as the images have
// them, set-user-ID programs and file capabilities included, which only the sandboxes
// that mount them (through idmapped mounts opened by root) may reach. A root that another
// user could enter, or that root does not own, is refused; created (or fixed) as 0700.
static std::string mode_text(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

static Status private_root(const std::string& root, bool fix) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_path(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  ASSIGN_OR_RETURN(struct stat st, sys::fd_status(fd.get()));
  if (st.st_uid != sys::effective_uid() && st.st_uid != 0)
    return logic_error("image store", root,
                       "owned by uid " + std::to_string(st.st_uid) + ", not by root: refused");
  if ((st.st_mode & 077) == 0) return {};
  if (!fix)
    return logic_error("image store", root,
                       "other users may enter it (mode " + mode_text(st.st_mode) +
                           "); its layers hold set-user-ID programs: make it 0700");
  return sys::set_mode(fd.get(), 0700, root);
}

Result<Store> Store::open(const std::string& root, bool create) {
  if (root.empty() || root[0] != '/')
    return logic_error("image store", root, "must be an absolute path");
  if (!create) {
    if (!exists(root + "/refs.json") && !exists(root + "/lock"))
      return errno_error(ENOENT, "open image store", root);
    TRY(private_root(root, /*fix=*/false));
    return Store(root);
  }
  TRY(sys::make_dirs(root, 0700));
  TRY(private_root(root, /*fix=*/true));
  for (const char* d : {"blobs", "blobs/sha256", "layers", "layers/sha256", "images", "tmp"})
    TRY(sys::make_dirs(root + "/" + d, d == std::string("tmp") ? 0700 : 0755));
  for (const char* f : {"lock", "gc.lock"})
    if (!exists(root + "/" + f)) {
      auto t = sys::touch(root + "/" + f, 0600);
      if (!t.ok() && t.error().err != EEXIST) return t.error();
    }
  Store s(root);
  if (!exists(root + "/refs.json")) {
    ASSIGN_OR_RETURN(StoreLock l, s.lock(true));
    if (!exists(root + "/refs.json")) TRY(s.write_refs({}));
  }
  return s;
}

std::string Store::blob_path(const std::string& hex) const {
  return root_ + "/blobs/sha256/" + hex;
}
std::string Store::layer_dir(const std::string& hex) const {
  return root_ + "/layers/sha256/" + hex;
}

Result<StoreLock> Store::lock(bool exclusive) const {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_path(root_ + "/lock", O_RDONLY | O_NOFOLLOW));
  TRY(sys::lock_file(fd.get(), exclusive, true));
  return StoreLock(std::move(fd));
}

Result<StoreLock> Store::hold_layers() const {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_path(root_ + "/gc.lock", O_RDONLY | O_NOFOLLOW));
  TRY(sys::lock_file(fd.get(), false, true));
  return StoreLock(std::move(fd));
}

Result<std::optional<StoreLock>> Store::try_prune_lock() const {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_path(root_ + "/gc.lock", O_RDONLY | O_NOFOLLOW));
  ASSIGN_OR_RETURN(bool got, sys::lock_file(fd.get(), true, false));
  if (!got) return std::optional<StoreLock>();
  return std::optional<StoreLock>(StoreLock(std::move(fd)));
}

Result<std::string> Store::tmp_name(const std::string& prefix) const {
  ASSIGN_OR_RETURN(std::string r, sys::random_bytes(8));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char c : r) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return tmp_dir() + "/" + prefix + "-" + std::to_string(sys::self_pid()) + "-" + s;
}

Status Store::write_atomic(const std::string& path, std::string_view data) const {
  ASSIGN_OR_RETURN(std::string tmp, tmp_name("write"));
  {
    ASSIGN_OR_RETURN(UniqueFd fd,
                     sys::open_path(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644));
    TRY(sys::write_all(fd.get(), data, tmp));
    TRY(sys::set_mode(fd.get(), 0644, tmp));
    TRY(sys::sync_fd(fd.get(), tmp));
  }
  auto r = sys::rename_path(tmp, path);
  if (!r.ok()) {
    (void)sys::unlink_path(tmp);
    return r;
  }
  return {};
}

bool Store::has_blob(const std::string& hex) const {
  return exists(blob_path(hex));
}

Status Store::commit_blob(const std::string& tmp_path, const std::string& hex) const {
  auto got = sha256_file(tmp_path);
  if (!got.ok() || *got != hex) {
    (void)sys::unlink_path(tmp_path);
    if (!got.ok()) return got.error();
    return logic_error("verify blob", "sha256:" + hex,
                       "digest mismatch: its content hashes to sha256:" + *got);
  }
  {
    ASSIGN_OR_RETURN(UniqueFd fd, sys::open_path(tmp_path, O_RDONLY | O_NOFOLLOW));
    TRY(sys::set_mode(fd.get(), 0644, tmp_path));
    TRY(sys::sync_fd(fd.get(), tmp_path));
  }
  return sys::rename_path(tmp_path, blob_path(hex));
}

Result<std::string> Store::put_blob(std::string_view data) const {
  std::string hex = sha256_hex(data);
  if (has_blob(hex)) return hex;
  TRY(write_atomic(blob_path(hex), data));
  return hex;
}

Result<std::string> Store::read_blob(const std::string& hex, size_t max) const {
  ASSIGN_OR_RETURN(std::string data, sys::read_small_file(blob_path(hex), max));
  // A blob is named by its digest: one that no longer matches (disk damage, a hand edit)
  // is refused rather than believed.
  std::string got = sha256_hex(data);
  if (got != hex)
    return logic_error("read blob", "sha256:" + hex, "content hashes to sha256:" + got);
  return data;
}

Result<std::optional<LayerRecord>> Store::layer(const std::string& hex) const {
  std::string path = layer_dir(hex) + ".json";
  if (!exists(path)) return std::optional<LayerRecord>();
  ASSIGN_OR_RETURN(json j, read_json_file(path, kMaxRecordBytes));
  LayerRecord r;
  try {
    r.diff_id = j.at("diff_id").get<std::string>();
    r.size = j.at("size").get<uint64_t>();
    r.entries = j.at("entries").get<uint64_t>();
  } catch (const json::exception& e) {
    return logic_error("read layer record", path, e.what());
  }
  return std::optional<LayerRecord>(r);
}

Status Store::commit_layer(const std::string& tmp, const LayerRecord& rec) const {
  ASSIGN_OR_RETURN(std::string hex, digest_hex(rec.diff_id, "layer"));
  ASSIGN_OR_RETURN(auto have, layer(hex));
  std::string dir = layer_dir(hex);
  if (have) return remove_tree(tmp);
  if (exists(dir)) TRY(remove_tree(dir));
  TRY(sys::rename_path(tmp, dir));
  json j = {{"diff_id", rec.diff_id}, {"size", rec.size}, {"entries", rec.entries}};
  return write_atomic(dir + ".json", j.dump());
}

Status Store::write_image(const ImageRecord& r) const {
  json j = {{"manifest", r.manifest}, {"config", r.config},     {"layers", r.layers},
            {"blobs", r.blobs},       {"platform", r.platform}, {"size", r.size},
            {"created", r.created},   {"source", r.source}};
  return write_atomic(root_ + "/images/" + hex_of(r.manifest) + ".json", j.dump());
}

Result<std::optional<ImageRecord>> Store::read_image(const std::string& hex) const {
  std::string path = root_ + "/images/" + hex + ".json";
  if (!exists(path)) return std::optional<ImageRecord>();
  ASSIGN_OR_RETURN(json j, read_json_file(path, kMaxRecordBytes));
  ImageRecord r;
  try {
    r.manifest = j.at("manifest").get<std::string>();
    r.config = j.at("config").get<std::string>();
    r.layers = j.at("layers").get<std::vector<std::string>>();
    r.blobs = j.value("blobs", std::vector<std::string>());
    r.platform = j.value("platform", "");
    r.size = j.value("size", uint64_t{0});
    r.created = j.value("created", "");
    r.source = j.value("source", "");
  } catch (const json::exception& e) {
    return logic_error("read image record", path, e.what());
  }
  for (const auto& d : r.layers) TRY(digest_hex(d, path));
  for (const auto& d : r.blobs) TRY(digest_hex(d, path));
  TRY(digest_hex(r.manifest, path));
  TRY(digest_hex(r.config, path));
  return std::optional<ImageRecord>(std::move(r));
}

Result<std::vector<ImageRecord>> Store::list_images() const {
  ASSIGN_OR_RETURN(auto names, names_in(root_ + "/images"));
  std::vector<ImageRecord> out;
  for (const auto& n : names) {
    if (n.size() != 69 || n.substr(64) != ".json" || !is_sha256_hex(n.substr(0, 64))) continue;
    ASSIGN_OR_RETURN(auto rec, read_image(n.substr(0, 64)));
    if (rec) out.push_back(std::move(*rec));
  }
  return out;
}

Status Store::remove_image(const std::string& hex) const {
  return sys::unlink_path(root_ + "/images/" + hex + ".json");
}

Result<std::map<std::string, std::string>> Store::read_refs() const {
  std::string path = root_ + "/refs.json";
  ASSIGN_OR_RETURN(json j, read_json_file(path, kMaxRefsBytes));
  std::map<std::string, std::string> out;
  auto refs = j.find("refs");
  if (refs == j.end() || !refs->is_object()) return logic_error("read", path, "no 'refs' object");
  for (const auto& [k, v] : refs->items()) {
    if (!v.is_string()) return logic_error("read", path, "ref '" + k + "' is not a string");
    TRY(digest_hex(v.get<std::string>(), path));
    out[k] = v.get<std::string>();
  }
  return out;
}

Status Store::write_refs(const std::map<std::string, std::string>& refs) const {
  json j = {{"refs", json::object()}};
  for (const auto& [k, v] : refs) j["refs"][k] = v;
  return write_atomic(root_ + "/refs.json", j.dump(2) + "\n");
}

Result<std::string> Store::find(const std::string& ref) const {
  auto not_found = [&](const std::string& what) {
    return Error{ENOENT, "find image", what, "no such image in " + root_};
  };
  std::string text = ref;
  if (text.rfind("sha256:", 0) == 0) text = text.substr(7);
  bool hexish = text.size() >= 12 && text.size() <= 64 &&
                text.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (hexish) {
    if (text.size() == 64) {
      ASSIGN_OR_RETURN(auto rec, read_image(text));
      if (rec) return text;
    } else {
      ASSIGN_OR_RETURN(auto images, list_images());
      std::vector<std::string> match;
      for (const auto& r : images)
        if (hex_of(r.manifest).rfind(text, 0) == 0) match.push_back(hex_of(r.manifest));
      if (match.size() == 1) return match[0];
      if (match.size() > 1)
        return logic_error("find image", ref, "the prefix matches more than one image");
    }
    if (ref.rfind("sha256:", 0) == 0) return not_found(ref);
  }
  ASSIGN_OR_RETURN(Reference r, parse_reference(ref));
  if (!r.digest.empty()) {
    std::string hex = hex_of(r.digest);
    ASSIGN_OR_RETURN(auto rec, read_image(hex));
    if (rec) return hex;
    return not_found(r.str());
  }
  ASSIGN_OR_RETURN(auto refs, read_refs());
  auto it = refs.find(r.str());
  if (it == refs.end()) return not_found(r.str());
  return hex_of(it->second);
}

Result<ResolvedImage> Store::resolve(const std::string& ref) const {
  ASSIGN_OR_RETURN(std::string hex, find(ref));
  ASSIGN_OR_RETURN(auto rec, read_image(hex));
  if (!rec) return Error{ENOENT, "find image", ref, "its record is gone"};
  ResolvedImage out;
  out.record = std::move(*rec);
  ASSIGN_OR_RETURN(std::string cfg, read_blob(hex_of(out.record.config), kMaxDocumentBytes));
  ASSIGN_OR_RETURN(out.config, parse_config(cfg, out.record.config));
  for (const auto& d : out.record.layers) {
    std::string lhex = hex_of(d);
    ASSIGN_OR_RETURN(auto l, layer(lhex));
    if (!l) return logic_error("resolve image", ref, "layer " + d + " is missing from the store");
    out.layer_dirs.push_back(layer_dir(lhex));
  }
  ASSIGN_OR_RETURN(auto refs, read_refs());
  for (const auto& [k, v] : refs)
    if (v == out.record.manifest) out.refs.push_back(k);
  return out;
}

Result<PruneReport> Store::prune() const {
  ASSIGN_OR_RETURN(auto images, list_images());
  std::set<std::string> blobs, layers;
  for (const auto& r : images) {
    blobs.insert(hex_of(r.manifest));
    blobs.insert(hex_of(r.config));
    for (const auto& b : r.blobs) blobs.insert(hex_of(b));
    for (const auto& l : r.layers) layers.insert(hex_of(l));
  }
  PruneReport rep;
  ASSIGN_OR_RETURN(auto bnames, names_in(root_ + "/blobs/sha256"));
  for (const auto& n : bnames)
    if (!blobs.count(n)) {
      TRY(sys::unlink_path(blob_path(n)));
      rep.blobs.push_back("sha256:" + n);
    }
  ASSIGN_OR_RETURN(auto lnames, names_in(root_ + "/layers/sha256"));
  for (const auto& n : lnames) {
    std::string hex =
        n.size() > 5 && n.substr(n.size() - 5) == ".json" ? n.substr(0, n.size() - 5) : n;
    if (layers.count(hex) && exists(layer_dir(hex) + ".json")) continue;
    // The record goes first: a directory without one is unfinished, never used.
    if (hex != n) {
      TRY(sys::unlink_path(root_ + "/layers/sha256/" + n));
      continue;
    }
    if (exists(layer_dir(hex) + ".json")) TRY(sys::unlink_path(layer_dir(hex) + ".json"));
    TRY(remove_tree(layer_dir(hex)));
    rep.layers.push_back("sha256:" + hex);
  }
  ASSIGN_OR_RETURN(auto tnames, names_in(tmp_dir()));
  for (const auto& n : tnames) {
    if (n.size() > 8 && n.substr(n.size() - 8) == ".partial") continue;
    TRY(remove_tree(tmp_dir() + "/" + n));
    ++rep.tmp_entries;
  }
  return rep;
}

}  // namespace cordon::image
