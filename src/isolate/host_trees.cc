#include "isolate/host_trees.h"

#include <fcntl.h>
#include <sys/mount.h>

#include "sys/fs.h"
#include "sys/mount.h"

namespace cordon::isolate {

Result<std::vector<UniqueFd>> open_host_trees(const plan::MountPlan& plan, int userns_fd) {
  std::vector<UniqueFd> trees;
  for (const auto& s : plan.steps) {
    if (s.op != plan::MountOp::kAttachTree) continue;
    auto at_source = [&](Error e) {
      e.path = s.source;
      return e;
    };
    // Opened once, following no symlink (preflight.h checked the same way): what is
    // mounted is what the path names. An image is one mount (submounts of the image
    // directory are not part of it); a bind takes its submounts along, as bind mounts do
    // with MS_REC.
    ASSIGN_OR_RETURN(UniqueFd src, sys::open_no_symlinks(s.source, O_PATH));
    auto tree = sys::open_tree_clone_fd(src.get(), /*recursive=*/!s.idmap);
    if (!tree.ok()) return at_source(std::move(tree).error());
    UniqueFd fd = std::move(tree).value();
    sys::MountAttrs attrs;
    attrs.set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (s.writable ? 0 : MOUNT_ATTR_RDONLY);
    if (s.idmap) {
      attrs.set |= MOUNT_ATTR_IDMAP;
      attrs.userns_fd = userns_fd;
    }
    if (auto st = sys::mount_setattr(fd.get(), "", attrs, /*recursive=*/!s.idmap); !st.ok())
      return at_source(std::move(st).error());
    trees.push_back(std::move(fd));
  }
  return trees;
}

}  // namespace cordon::isolate
