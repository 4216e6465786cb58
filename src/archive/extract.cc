#include "archive/extract.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <string>

#include "sys/fs.h"

namespace cordon::archive {
namespace {

// Every directory met so far, by path: the final mode of those this extraction created or
// was given as entries, nullopt for those that were there before (their modes are not ours).
using DirModes = std::map<std::string, std::optional<mode_t>>;

// Creates path as a directory unless it exists already. While being filled, directories
// are 0700: their final modes are set after their contents. An existing entry is accepted
// here; if it is not a real directory, the next open_beneath through it (or the final
// chmod) fails with ENOTDIR, or ELOOP for a symlink.
Status ensure_dir(int dir_fd, const std::string& path, mode_t final_mode, bool listed,
                  DirModes* modes) {
  auto it = modes->find(path);
  if (it != modes->end()) {
    if (listed) it->second = final_mode;
    return {};
  }
  Status st = sys::mkdir_beneath(dir_fd, path, 0700);
  if (!st.ok() && st.error().err != EEXIST) return st;
  const bool created = st.ok();
  (*modes)[path] = created || listed ? std::optional<mode_t>(final_mode) : std::nullopt;
  return {};
}

Status ensure_parents(int dir_fd, const std::string& path, DirModes* modes) {
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    TRY(ensure_dir(dir_fd, path.substr(0, slash), 0755, false, modes));
  }
  return {};
}

Status write_file(int dir_fd, const TarEntry& e) {
  // O_NOFOLLOW is redundant with RESOLVE_NO_SYMLINKS and O_EXCL, and kept as a third lock.
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_beneath(dir_fd, e.path,
                                                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  TRY(sys::write_all(fd.get(), e.data, e.path));
  TRY(sys::set_mode(fd.get(), e.mode & 0777, e.path));
  return {};
}

}  // namespace

Status extract(int dir_fd, const std::vector<TarEntry>& entries) {
  DirModes modes;
  for (const TarEntry& e : entries) {
    if (e.path.empty() || e.path.front() == '/')
      return logic_error("extract", e.path, "not a relative path");
    TRY(ensure_parents(dir_fd, e.path, &modes));
    if (e.type == TarEntry::Type::kDir) {
      TRY(ensure_dir(dir_fd, e.path, e.mode & 0777, true, &modes));
    } else {
      TRY(write_file(dir_fd, e));
    }
  }
  // Deepest first: a parent that loses its x bit must not stop its children's chmod (for
  // a caller without CAP_DAC_OVERRIDE).
  std::vector<const DirModes::value_type*> order;
  for (const auto& m : modes)
    if (m.second) order.push_back(&m);
  auto depth = [](const std::string& p) { return std::count(p.begin(), p.end(), '/'); };
  std::stable_sort(order.begin(), order.end(),
                   [&](auto* a, auto* b) { return depth(a->first) > depth(b->first); });
  for (const auto* m : order) {
    ASSIGN_OR_RETURN(UniqueFd fd, sys::open_beneath(dir_fd, m->first, O_RDONLY | O_DIRECTORY));
    TRY(sys::set_mode(fd.get(), *m->second, m->first));
  }
  return {};
}

}  // namespace cordon::archive
