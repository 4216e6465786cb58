#include "engine/inside_paths.h"

#include <sys/stat.h>

#include <optional>
#include <set>

#include "isolate/cgroup.h"
#include "plan/cgroup_plan.h"
#include "plan/mount_plan.h"
#include "sys/fs.h"

namespace cordon::engine {
namespace {

// p is root itself or a path below it ("/usr" holds "/usr/bin", not "/usrx").
bool is_under(const std::string& p, const std::string& root) {
  if (root == "/") return true;
  return p == root ||
         (p.size() > root.size() && p.compare(0, root.size(), root) == 0 && p[root.size()] == '/');
}

// What a path inside the sandbox lands on, per the mount plan (plan/mount_plan.h).
struct Place {
  enum Kind {
    kWritable,  // a tmpfs the sandbox writes (/tmp, home, an image's upper layer)
    kRoot,      // the host view's root tmpfs: made during the start, read-only after it
    kHostTree,  // a host tree of the host view, read-only (/usr, /etc/ssl, ...)
    kBind,      // a --bind
  };
  Kind kind = kWritable;
  std::string tree;  // kHostTree, kBind: the mount's path inside
  std::string host;  // kHostTree, kBind: the path on the host that is shown there
  const spec::BindMount* bind = nullptr;
};

// Where path lands, counting the first `binds` of spec's binds (mounted in that order).
Place locate(const spec::SandboxSpec& spec, const std::string& path, size_t binds) {
  const spec::BindMount* deepest = nullptr;
  for (size_t i = 0; i < binds && i < spec.binds.size(); ++i) {
    const auto& b = spec.binds[i];
    if (is_under(path, b.target) && (!deepest || b.target.size() >= deepest->target.size()))
      deepest = &b;
  }
  if (deepest) {
    return {Place::kBind, deepest->target, deepest->source + path.substr(deepest->target.size()),
            deepest};
  }
  if (spec::has_image_root(spec) || is_under(path, "/tmp") || is_under(path, spec::home_dir(spec))) return {};
  std::vector<std::string> trees = plan::host_view_dirs();
  for (const auto& e : plan::host_view_etc()) trees.push_back("/etc/" + e);
  for (const auto& t : trees) {
    // A tree the host lacks is not mounted (the plan skips it): the root tmpfs shows.
    if (is_under(path, t) && sys::path_status(t, /*follow=*/false).ok())
      return {Place::kHostTree, t, path, nullptr};
  }
  return {Place::kRoot, {}, {}, nullptr};
}

std::optional<struct stat> host_stat(const std::string& path) {
  auto st = sys::path_status(path, /*follow=*/true);
  if (!st.ok()) return std::nullopt;
  return *st;
}

std::string where_to_bind(const spec::SandboxSpec& spec) {
  return "bind to a path under /tmp or " + spec::home_dir(spec) +
         ", to a new path outside the host's trees (such as /data), or to an existing path";
}

InsideProblem usage_problem(std::string flag, std::string value, std::string detail) {
  return {logic_error(std::move(flag), std::move(value), std::move(detail)), false};
}

std::optional<InsideProblem> check_bind(const spec::SandboxSpec& spec, size_t i) {
  const spec::BindMount& b = spec.binds[i];
  const std::string value = b.source + ":" + b.target;
  Place at = locate(spec, b.target, i);
  if (at.kind == Place::kWritable || at.kind == Place::kRoot) return std::nullopt;
  if (at.kind == Place::kBind && at.bind->writable) return std::nullopt;
  // A mount never follows a symlink at its target.
  auto link = sys::path_status(at.host, /*follow=*/false);
  if (link.ok() && S_ISLNK(link->st_mode)) {
    auto real = sys::real_path(at.host);
    return usage_problem(
        "--bind", value,
        b.target + " is a symlink inside the sandbox" +
            (real.ok() && at.kind == Place::kHostTree ? " (to " + *real + ")" : std::string()) +
            ", and cordon does not mount onto one; bind onto the path it leads "
            "to, or " +
            where_to_bind(spec));
  }
  auto target = host_stat(at.host);
  if (!target) {
    if (at.kind == Place::kHostTree) {
      return usage_problem("--bind", value,
                           at.tree + " is read-only inside the sandbox (the host's " + at.tree +
                               ") and has no " + b.target + "; " + where_to_bind(spec));
    }
    return usage_problem("--bind", value,
                         b.target + " is inside the read-only bind of " + at.bind->source + " at " +
                             at.tree + ", which has no " + at.host + "; make that bind :rw, or " +
                             where_to_bind(spec));
  }
  // A mount replaces a folder by a folder and a file by a file only.
  auto source = host_stat(b.source);
  if (source && S_ISDIR(source->st_mode) != S_ISDIR(target->st_mode)) {
    const char* inside = S_ISDIR(target->st_mode) ? "a folder" : "a file";
    const char* src = S_ISDIR(source->st_mode) ? "a folder" : "a file";
    return usage_problem("--bind", value,
                         b.target + " is " + std::string(inside) + " inside the sandbox but " +
                             b.source + " is " + src + "; " + where_to_bind(spec));
  }
  return std::nullopt;
}

// The folders the host view's root tmpfs holds once the start is done: the mount points
// the plan makes, and the folders above them.
std::set<std::string> root_folders(const spec::SandboxSpec& spec) {
  std::set<std::string> dirs = {"/",        "/etc",        "/dev",  "/dev/pts",
                                "/dev/shm", "/dev/mqueue", "/proc", "/tmp"};
  auto add_with_parents = [&](std::string p) {
    while (p.size() > 1) {
      dirs.insert(p);
      p = p.substr(0, p.rfind('/'));
      if (p.empty()) p = "/";
    }
  };
  add_with_parents(spec::home_dir(spec));
  for (const auto& b : spec.binds) add_with_parents(b.target.substr(0, b.target.rfind('/')));
  return dirs;
}

std::optional<InsideProblem> check_workdir(const spec::SandboxSpec& spec) {
  const std::string& w = spec.workdir;
  if (w.empty()) return std::nullopt;
  Place at = locate(spec, w, spec.binds.size());
  switch (at.kind) {
    case Place::kWritable:
      return std::nullopt;  // made when missing
    case Place::kRoot:
      // /proc is the kernel's: what is there is not known before the start.
      if (root_folders(spec).count(w) || is_under(w, "/proc")) return std::nullopt;
      return usage_problem(
          "--workdir", w,
          "no such folder inside the sandbox (the host view's / is read-only); " +
              (is_under(w, "/dev") ? std::string()
                                   : "bind one there with --bind SRC:" + w + " or ") +
              "use an existing folder (such as /tmp or " + spec::home_dir(spec) + ")");
    case Place::kHostTree:
    case Place::kBind:
      break;
  }
  auto st = host_stat(at.host);
  if (st && S_ISDIR(st->st_mode)) return std::nullopt;
  if (st) return usage_problem("--workdir", w, "not a folder inside the sandbox");
  if (at.kind == Place::kBind && at.bind->writable) return std::nullopt;  // made when missing
  std::string what = at.kind == Place::kHostTree
                         ? at.tree + " is the host's, read-only"
                         : "the read-only bind of " + at.bind->source + " at " + at.tree +
                               " has no " + at.host.substr(at.bind->source.size() + 1);
  return usage_problem("--workdir", w,
                       "no such folder inside the sandbox (" + what +
                           "); use an existing folder, or one under /tmp or " +
                           spec::home_dir(spec));
}

}  // namespace

std::optional<InsideProblem> check_inside_paths(const spec::SandboxSpec& spec) {
  for (size_t i = 0; i < spec.binds.size(); ++i) {
    if (auto p = check_bind(spec, i)) return p;
  }
  return check_workdir(spec);
}

std::optional<InsideProblem> check_cgroup_parent(const spec::SandboxSpec& spec,
                                                 const std::string& cgroup_root) {
  if (spec.no_cgroup || spec.cgroup_parent.empty()) return std::nullopt;
  auto mode = isolate::detect_cgroup_mode(cgroup_root);
  if (!mode.ok()) return std::nullopt;  // the start reports what is wrong with the host
  std::vector<std::string> dirs;
  if (*mode == isolate::CgroupMode::kV2) {
    dirs.push_back(cgroup_root + spec.cgroup_parent);
  } else if (*mode == isolate::CgroupMode::kV1) {
    for (const auto& c : plan::v1_all_controllers()) {
      // A hierarchy the host does not mount is the start's to report.
      if (host_stat(cgroup_root + "/" + c))
        dirs.push_back(cgroup_root + "/" + c + spec.cgroup_parent);
    }
  }
  for (const auto& d : dirs) {
    auto st = host_stat(d);
    if (st && S_ISDIR(st->st_mode)) continue;
    return InsideProblem{
        logic_error("--cgroup-parent", spec.cgroup_parent,
                    "no such cgroup (" + d +
                        "); create it first, or leave --cgroup-parent out to make the sandbox's "
                        "group under the caller's own"),
        true};
  }
  return std::nullopt;
}

}  // namespace cordon::engine
