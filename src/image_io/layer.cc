#include "image_io/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "base/unique_fd.h"
#include "image/digest.h"
#include "image/store.h"
#include "image_io/reader.h"
#include "sys/fs.h"
#include "sys/fs_at.h"

namespace cordon::image_io {
namespace {

constexpr uint32_t kMaxId = 65535;
constexpr size_t kMaxName = 255;

std::string compression_name(int code) {
  switch (code) {
    case ARCHIVE_FILTER_NONE:
      return "none";
    case ARCHIVE_FILTER_GZIP:
      return "gzip";
    case ARCHIVE_FILTER_XZ:
      return "xz";
    case ARCHIVE_FILTER_ZSTD:
      return "zstd";
    case ARCHIVE_FILTER_BZIP2:
      return "bzip2";
    default:
      return "other";
  }
}

// An entry's path split into components: "./a//b/" -> {a, b}. Refuses an absolute path,
// "..", and overlong paths or names. An empty result is the layer's root.
Result<std::vector<std::string>> split_path(const std::string& p, const LayerLimits& limits,
                                            const std::string& what) {
  auto bad = [&](std::string detail) {
    return logic_error("layer entry", "'" + p.substr(0, 200) + "'", std::move(detail));
  };
  if (p.size() > limits.max_path)
    return bad(what + " is longer than " + std::to_string(limits.max_path) + " bytes");
  if (!p.empty() && p[0] == '/') return bad(what + " is absolute; a layer holds relative paths");
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    std::string c = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (c == "..") return bad(what + " has a '..' component; refused");
    if (c.size() > kMaxName) return bad(what + " has a name longer than 255 bytes");
    if (c.find('\0') != std::string::npos) return bad(what + " holds a NUL byte");
    if (!c.empty() && c != ".") out.push_back(std::move(c));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& comps, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? "/" : "") + comps[i];
  return s;
}

Error entry_error(const std::string& entry, const Error& e) {
  std::string why = e.to_string();
  if (e.err == ELOOP) why = "a component of its path is a symlink; nothing is written through one";
  if (e.err == EXDEV) why = "its path leaves the layer";
  if (e.err == ENOTDIR) why = "a parent in its path is not a directory";
  return logic_error("layer entry", "'" + entry.substr(0, 200) + "'", why);
}

// The directory that holds comps' last component, made (0755, root) where missing.
Result<UniqueFd> open_parent(int root, const std::vector<std::string>& comps) {
  size_t n = comps.size() - 1;
  if (n == 0) return sys::open_beneath(root, ".", O_PATH | O_DIRECTORY);
  auto fd = sys::open_beneath(root, join(comps, n), O_PATH | O_DIRECTORY);
  if (fd.ok() || fd.error().err != ENOENT) return fd;
  for (size_t i = 1; i <= n; ++i) {
    std::string prefix = join(comps, i);
    auto d = sys::open_beneath(root, prefix, O_PATH | O_DIRECTORY);
    if (d.ok()) continue;
    if (d.error().err != ENOENT) return d.error();
    TRY(sys::mkdir_beneath(root, prefix, 0755));
  }
  return sys::open_beneath(root, join(comps, n), O_PATH | O_DIRECTORY);
}

// security.capability: kept only as VFS_CAP_REVISION_3 with rootid 0 (the root of the user
// namespace the layer is mounted into); revision 2 is converted to that form (the same
// capabilities); revision 1 and a revision 3 with another rootid are dropped.
std::optional<std::string> namespaced_caps(const void* value, size_t size) {
  if (size < 4) return std::nullopt;
  const auto* b = static_cast<const unsigned char*>(value);
  uint32_t magic = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  uint32_t rev = magic & 0xFF000000u;
  std::string v(static_cast<const char*>(value), size);
  if (rev == 0x02000000u && size == 20) {
    uint32_t m3 = 0x03000000u | (magic & 0x00FFFFFFu);
    for (int i = 0; i < 4; ++i) v[i] = static_cast<char>((m3 >> (8 * i)) & 0xFF);
    v.append(4, '\0');
    return v;
  }
  if (rev == 0x03000000u && size == 24 && b[20] == 0 && b[21] == 0 && b[22] == 0 && b[23] == 0)
    return v;
  return std::nullopt;
}

// The xattrs a layer keeps: user.* (but user.overlay.*, which only whiteout conversion may
// set) and security.capability in its namespaced form. Others (trusted.*, security.selinux,
// ...) are dropped.
Status apply_xattrs(archive_entry* e, int fd, const std::string& entry) {
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    std::string n = name ? name : "";
    std::string v;
    if (n == "security.capability") {
      auto caps = namespaced_caps(value, size);
      if (!caps) continue;
      v = *caps;
    } else if (n.rfind("user.", 0) == 0 && n.rfind("user.overlay.", 0) != 0) {
      v.assign(static_cast<const char*>(value), size);
    } else {
      continue;
    }
    auto st = sys::set_xattr_fd(fd, n, v);
    if (!st.ok()) return entry_error(entry, st.error());
  }
  return {};
}

class Writer {
 public:
  Writer(archive* a, std::string dest, int root, const LayerLimits& limits)
      : a_(a), dest_(std::move(dest)), root_(root), limits_(limits) {}

  Status entry(archive_entry* e);
  UnpackStats stats;

 private:
  Status regular(archive_entry* e, int parent, const std::string& name, const std::string& p);
  Status clear(int parent, const std::string& name, const std::string& rel, bool keep_dir);
  archive* a_;
  std::string dest_;
  int root_;
  const LayerLimits& limits_;
};

Status Writer::clear(int parent, const std::string& name, const std::string& rel, bool keep_dir) {
  auto fd = sys::open_at(parent, name, O_PATH);
  if (!fd.ok()) return fd.error().err == ENOENT ? Status() : fd.error();
  ASSIGN_OR_RETURN(struct stat st, sys::fd_status(fd->get()));
  if (S_ISDIR(st.st_mode)) {
    if (keep_dir) return {};
    return image::remove_tree(dest_ + "/" + rel);
  }
  return sys::unlink_at(parent, name, false);
}

Status Writer::regular(archive_entry* e, int parent, const std::string& name,
                       const std::string& p) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_at(parent, name, O_WRONLY | O_CREAT | O_EXCL, 0600));
  uint64_t size = static_cast<uint64_t>(archive_entry_size(e));
  for (;;) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t off = 0;
    int r = archive_read_data_block(a_, &buf, &len, &off);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return logic_error("layer entry", "'" + p + "'", archive_error_string(a_));
    if (off < 0 || static_cast<uint64_t>(off) + len > size)
      return logic_error("layer entry", "'" + p + "'", "data past the entry's declared size");
    TRY(sys::write_at(fd.get(), std::string_view(static_cast<const char*>(buf), len),
                      static_cast<uint64_t>(off), p));
  }
  TRY(sys::truncate_fd(fd.get(), size, p));
  TRY(sys::chown_at(parent, name, archive_entry_uid(e), archive_entry_gid(e)));
  TRY(sys::set_mode(fd.get(), archive_entry_perm(e) & 07777, p));
  TRY(apply_xattrs(e, fd.get(), p));
  return {};
}

Status Writer::entry(archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  std::string p = raw ? raw : "";
  if (++stats.entries > limits_.max_entries)
    return logic_error(
        "layer", "'" + p.substr(0, 200) + "'",
        "more than " + std::to_string(limits_.max_entries) + " entries (--max-entries); refused");
  ASSIGN_OR_RETURN(auto comps, split_path(p, limits_, "its path"));
  la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
  if (uid < 0 || gid < 0 || uid > kMaxId || gid > kMaxId)
    return logic_error("layer entry", "'" + p + "'",
                       "owner " + std::to_string(uid) + ":" + std::to_string(gid) +
                           " is outside 0..65535, which a layer may use");
  mode_t type = archive_entry_filetype(e);
  if (archive_entry_hardlink(e) == nullptr) {
    if (type == AE_IFCHR || type == AE_IFBLK)
      return logic_error("layer entry", "'" + p + "'", "is a device node; layers may not hold one");
    if (type == AE_IFSOCK)
      return logic_error("layer entry", "'" + p + "'", "is a socket; layers may not hold one");
  }
  if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
    uint64_t size = static_cast<uint64_t>(archive_entry_size(e));
    if (size > limits_.max_bytes || stats.size + size > limits_.max_bytes)
      return logic_error("layer entry", "'" + p + "'",
                         "its " + std::to_string(size) + " bytes take the layer over " +
                             std::to_string(limits_.max_bytes) + " bytes (--max-layer-size)");
    stats.size += size;
  }
  if (comps.empty()) {  // the layer's root ("./"): its owner and mode
    if (type != AE_IFDIR)
      return logic_error("layer entry", "'" + p + "'", "the root is not a directory");
    ASSIGN_OR_RETURN(UniqueFd d, sys::open_beneath(root_, ".", O_RDONLY | O_DIRECTORY));
    TRY(sys::chown_at(d.get(), ".", uid, gid));
    TRY(sys::set_mode(d.get(), archive_entry_perm(e) & 07777, p));
    return {};
  }
  const std::string& base = comps.back();
  auto parent_r = open_parent(root_, comps);
  if (!parent_r.ok()) return entry_error(p, parent_r.error());
  UniqueFd parent = std::move(parent_r).value();
  std::string rel = join(comps, comps.size());

  if (base.rfind(".wh.", 0) == 0) {
    if (base == ".wh..wh..opq") {
      ASSIGN_OR_RETURN(
          UniqueFd d,
          sys::open_beneath(root_, comps.size() == 1 ? "." : join(comps, comps.size() - 1),
                            O_RDONLY | O_DIRECTORY));
      auto st = sys::set_xattr_fd(d.get(), "user.overlay.opaque", "y");
      if (!st.ok()) return entry_error(p, st.error());
      return {};
    }
    std::string name = base.substr(4);
    if (name.empty() || name == "." || name == ".." || name.rfind(".wh.", 0) == 0)
      return logic_error("layer entry", "'" + p + "'", "is a whiteout of no valid name");
    TRY(clear(parent.get(), name, join(comps, comps.size() - 1) + "/" + name, false));
    auto st = sys::make_node_at(parent.get(), name, S_IFCHR | 0, makedev(0, 0));
    if (!st.ok()) return entry_error(p, st.error());
    return {};
  }

  if (const char* target = archive_entry_hardlink(e)) {
    ASSIGN_OR_RETURN(auto tcomps, split_path(target, limits_, "its hard link target"));
    if (tcomps.empty()) return logic_error("layer entry", "'" + p + "'", "hard link to the root");
    auto fd = sys::open_beneath(root_, join(tcomps, tcomps.size()), O_PATH);
    if (!fd.ok())
      return logic_error("layer entry", "'" + p + "'",
                         "hard link target '" + std::string(target) +
                             "' is not an earlier file of this layer (or is a symlink)");
    ASSIGN_OR_RETURN(struct stat st, sys::fd_status(fd->get()));
    if (S_ISDIR(st.st_mode))
      return logic_error("layer entry", "'" + p + "'", "hard link to a directory");
    TRY(clear(parent.get(), base, rel, false));
    auto l = sys::link_fd_at(fd->get(), parent.get(), base);
    if (!l.ok()) return entry_error(p, l.error());
    return {};
  }

  Status st;
  switch (type) {
    case AE_IFREG:
      TRY(clear(parent.get(), base, rel, false));
      st = regular(e, parent.get(), base, p);
      break;
    case AE_IFDIR: {
      TRY(clear(parent.get(), base, rel, true));
      auto m = sys::mkdir_at(parent.get(), base, 0700);
      if (!m.ok() && m.error().err != EEXIST) return entry_error(p, m.error());
      auto d = sys::open_at(parent.get(), base, O_RDONLY | O_DIRECTORY);
      if (!d.ok()) return entry_error(p, d.error());
      TRY(sys::chown_at(parent.get(), base, uid, gid));
      TRY(sys::set_mode(d->get(), archive_entry_perm(e) & 07777, p));
      st = apply_xattrs(e, d->get(), p);
      break;
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      if (target == nullptr || *target == '\0')
        return logic_error("layer entry", "'" + p + "'", "symlink with no target");
      TRY(clear(parent.get(), base, rel, false));
      st = sys::symlink_at(target, parent.get(), base);
      if (st.ok()) st = sys::chown_at(parent.get(), base, uid, gid);
      break;
    }
    case AE_IFIFO:
      TRY(clear(parent.get(), base, rel, false));
      st = sys::make_node_at(parent.get(), base, S_IFIFO | 0600, 0);
      if (st.ok()) st = sys::chown_at(parent.get(), base, uid, gid);
      if (st.ok()) st = sys::chmod_path(dest_ + "/" + rel, archive_entry_perm(e) & 07777);
      break;
    default:
      return logic_error("layer entry", "'" + p + "'", "is of a type a layer may not hold");
  }
  if (!st.ok()) return entry_error(p, st.error());
  if (archive_entry_mtime_is_set(e))
    (void)sys::set_times_at(parent.get(), base, archive_entry_mtime(e),
                            archive_entry_mtime_nsec(e));
  return {};
}

}  // namespace

Result<LayerDigest> digest_layer(const std::string& path, uint64_t max_tar_bytes,
                                 const ByteProgress& progress) {
  ASSIGN_OR_RETURN(ArchivePtr a, open_archive(path, true));
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a.get(), &e);
  if (r != ARCHIVE_OK)
    return logic_error("read layer", path,
                       archive_error_string(a.get()) ? archive_error_string(a.get()) : "empty");
  image::Sha256 h;
  LayerDigest out;
  std::vector<char> buf(1 << 16);
  uint64_t ticks = 0;
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) return logic_error("read layer", path, archive_error_string(a.get()));
    h.update(buf.data(), static_cast<size_t>(n));
    out.tar_bytes += static_cast<uint64_t>(n);
    if (out.tar_bytes > max_tar_bytes)
      return logic_error("read layer", path,
                         "decompresses to more than " + std::to_string(max_tar_bytes) + " bytes");
    if (progress && (++ticks % 256) == 0) progress(archive_filter_bytes(a.get(), -1));
  }
  out.compression = compression_name(archive_filter_code(a.get(), 0));
  out.diff_id = "sha256:" + h.hex();
  return out;
}

Result<UnpackStats> unpack_layer(const std::string& path, const std::string& dest,
                                 const LayerLimits& limits, const ByteProgress& progress) {
  ASSIGN_OR_RETURN(ArchivePtr a, open_archive(path, false));
  ASSIGN_OR_RETURN(UniqueFd root, sys::open_path(dest, O_PATH | O_DIRECTORY | O_NOFOLLOW));
  Writer w(a.get(), dest, root.get(), limits);
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return logic_error(
          "read layer", path,
          archive_error_string(a.get()) ? archive_error_string(a.get()) : "bad archive");
    TRY(w.entry(e));
    if (progress) progress(archive_filter_bytes(a.get(), -1));
  }
  return w.stats;
}

}  // namespace cordon::image_io
