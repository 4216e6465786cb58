#include "isolate/cgroup_files.h"

#include <sys/stat.h>

#include <time.h>

#include <charconv>
#include <sstream>

#include "isolate/id_slot.h"
#include "sys/clock.h"
#include "sys/fs.h"

namespace cordon::isolate {

Result<uint64_t> read_u64(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, sys::read_small_file(path, 4096));
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc()) return logic_error("parse", path, "not a number");
  return v;
}

Result<uint64_t> read_key(const std::string& path, const std::string& key) {
  ASSIGN_OR_RETURN(std::string text, sys::read_small_file(path, 65536));
  std::istringstream in(text);
  std::string k;
  uint64_t v;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return logic_error("parse", path, "no key " + key);
}

Result<std::vector<pid_t>> read_pids(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, sys::read_small_file(path, 16 << 20));
  std::vector<pid_t> pids;
  std::istringstream in(text);
  pid_t p;
  while (in >> p) pids.push_back(p);
  return pids;
}

Status apply_writes(const std::vector<plan::CgroupWrite>& writes,
                    const std::function<std::string(const std::string&)>& dir_of) {
  for (const auto& w : writes) {
    if (w.kernel_default) continue;
    std::string path = dir_of(w.controller) + "/" + w.file;
    auto st = sys::write_file(path, w.value);
    if (!st.ok()) {
      if (w.optional && st.error().err == ENOENT) continue;
      Error e = std::move(st).error();
      e.step = "write " + w.value + " to";
      return e;
    }
  }
  return {};
}

Error group_in_use(const std::string& dir) {
  Error e = errno_error(EBUSY, kSlotInUseStep, dir);
  e.detail =
      "the group of this slot exists: left by a crashed start (the next start in this "
      "parent removes it) or another cordon's";
  return e;
}

Status remove_group_dir(const std::string& dir) {
  Status last;
  bool gone = sys::poll_until(2000, [&] {
    last = sys::remove_dir(dir);
    return last.ok() || last.error().err != EBUSY;
  });
  if (!gone) return logic_error("rmdir", dir, "the group still has members after 2 s");
  return last;
}

Status remove_group_tree(const std::string& dir) {
  auto entries = sys::list_dir(dir);
  if (entries.ok()) {
    for (const auto& e : *entries) {
      std::string child = dir + "/" + e;
      auto st = sys::path_status(child, /*follow=*/false);
      if (st.ok() && S_ISDIR(st->st_mode)) TRY(remove_group_tree(child));
    }
  }
  return remove_group_dir(dir);
}

Status delegate_group(const std::string& dir, uid_t uid, gid_t gid) {
  // Bounds the sandbox's root cannot lift (the files stay root's): a tree of groups the
  // host removes at the end, never deeper or larger than this. v2 files; a v1 group has
  // neither.
  for (const auto& [file, value] : {std::pair<const char*, const char*>{"cgroup.max.depth", "16"},
                                    {"cgroup.max.descendants", "1024"}}) {
    Status w = sys::write_file(dir + "/" + file, value);
    if (!w.ok() && w.error().err != ENOENT) return w;
  }
  TRY(sys::chown_path(dir, uid, gid));
  for (const char* f : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"})
    TRY(sys::chown_path(dir + "/" + f, uid, gid));
  return {};
}

}  // namespace cordon::isolate
