#include "isolate/host_trees.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>

#include "sys/creds.h"
#include "sys/fs.h"
#include "sys/mount.h"
#include "sys/ns.h"

namespace cordon::isolate {
namespace {

// Deeper than any workspace an upload or input files can make (archive/tar_path.h).
constexpr int kMaxOwnedDepth = 256;
// Entries the preflight walks in a writable owner-mapped source (privileged_file_refusal):
// about 65 ms for 10,000 on a warm cache, 0.15 s cold (docs/threat-model.md).
constexpr size_t kMaxCheckedEntries = 100000;

Error at_source(Error e, const std::string& source) {
  e.path = source;
  return e;
}

// A detached, recursive copy of src idmapped through a user namespace mapping owner to
// the host IDs given (and nothing else), with attrs set.
Result<UniqueFd> owner_mapped_tree(int src, uint32_t owner_uid, uint32_t owner_gid,
                                   uint64_t host_uid, uint64_t host_gid, uint64_t attrs) {
  ASSIGN_OR_RETURN(UniqueFd userns, sys::make_user_ns(plan::owner_map_line(owner_uid, host_uid),
                                                      plan::owner_map_line(owner_gid, host_gid)));
  ASSIGN_OR_RETURN(UniqueFd tree, sys::open_tree_clone_fd(src, /*recursive=*/true));
  TRY(sys::mount_setattr(tree.get(), "", {attrs | MOUNT_ATTR_IDMAP, 0, userns.get()},
                         /*recursive=*/true));
  return tree;
}

// The workspace the daemon made for this sandbox: the root of a tmpfs, or nothing is
// changed. Its tree becomes the sandbox user's.
Status hand_over(int src, const std::string& source, const SandboxHostIds& ids) {
  ASSIGN_OR_RETURN(long type, sys::fd_fs_type(src));
  ASSIGN_OR_RETURN(bool root, sys::is_mount_root(src));
  if (type != TMPFS_MAGIC || !root)
    return logic_error("hand over the tree", source,
                       "a tree owned by the sandbox must be the root of a tmpfs of its own");
  return sys::chown_tree(src, static_cast<uid_t>(ids.uid), static_cast<gid_t>(ids.gid),
                         kMaxOwnedDepth);
}

// The account files are read whole; larger ones are not a host's.
constexpr size_t kMaxAccountFile = 16 << 20;

// Why a writable source must not be owner-mapped because of what it holds, or empty.
// A page written through a shared mapping keeps a file's set-UID and set-GID bits and its
// security.capability (the kernel clears them on write(2) and the like, not there), so a
// file that lends the owner's IDs or capabilities would keep doing so with the sandbox's
// code in it. The walk is bounded (kMaxCheckedEntries, kMaxOwnedDepth): a tree larger
// than that is not owner-mapped.
std::string privileged_file_refusal(int src, const std::string& source, uint32_t uid,
                                    uint32_t gid) {
  auto found = sys::find_privileged_file(src, uid, gid, kMaxCheckedEntries, kMaxOwnedDepth);
  if (!found.ok()) {
    const Error& e = found.error();
    if (e.err == E2BIG)
      return "it holds more than " + std::to_string(kMaxCheckedEntries) +
             " entries, more than the check for set-ID and capability files walks";
    if (e.err == ELOOP)
      return "it is deeper than " + std::to_string(kMaxOwnedDepth) +
             " directories, more than the check for set-ID and capability files walks";
    return "its tree could not be checked for set-ID and capability files (" + e.to_string() + ")";
  }
  if (!found->has_value()) return {};
  const std::string& rel = **found;
  return "it holds a set-ID or capability file: " + (rel.empty() ? source : source + "/" + rel);
}

std::vector<uint32_t> unique(std::vector<uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

Result<std::vector<UniqueFd>> open_host_trees(const plan::MountPlan& plan, int userns_fd,
                                              const SandboxHostIds& ids) {
  std::vector<UniqueFd> trees;
  for (const auto& s : plan.steps) {
    if (s.op != plan::MountOp::kAttachTree) continue;
    // Opened once, following no symlink (preflight.h checked the same way): what is
    // mounted is what the path names. An image is one mount (submounts of the image
    // directory are not part of it); a bind takes its submounts along, as bind mounts do
    // with MS_REC.
    auto opened = sys::open_no_symlinks(s.source, O_PATH);
    if (!opened.ok()) {
      // Named as the step it is: the preflight opened the same path the same way, so a
      // failure here is the path changing in between (a symlink swapped in: ELOOP).
      Error e = at_source(std::move(opened).error(), s.source);
      e.step = std::string(s.idmap ? "image" : "bind source") + " at the start: " + e.step;
      if (e.err == ELOOP)
        e.detail = "a symlink took its place after the preflight, and cordon never follows one";
      return e;
    }
    UniqueFd src = std::move(opened).value();
    if (s.owned_by_sandbox) {
      if (auto st = hand_over(src.get(), s.source, ids); !st.ok())
        return at_source(std::move(st).error(), s.source);
    }
    uint64_t set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (s.writable ? 0 : MOUNT_ATTR_RDONLY);
    if (s.owner_map) {
      // The owner the preflight saw, or no mapping at all: a source given to someone
      // else meanwhile would map that one's files to the sandbox.
      auto st = sys::fd_status(src.get());
      if (!st.ok()) return at_source(errno_error(st.error().err, "owner-mapped bind"), s.source);
      if (st->st_uid != s.owner_uid || st->st_gid != s.owner_gid)
        return logic_error("owner-mapped bind", s.source,
                           "its owner changed during the start (was " +
                               std::to_string(s.owner_uid) + ":" + std::to_string(s.owner_gid) +
                               ")");
      auto tree = owner_mapped_tree(src.get(), s.owner_uid, s.owner_gid, ids.uid, ids.gid, set);
      if (!tree.ok()) {
        Error e = at_source(std::move(tree).error(), s.source);
        e.step = "owner-mapped bind: " + e.step;
        return e;
      }
      trees.push_back(std::move(tree).value());
      continue;
    }
    auto tree = sys::open_tree_clone_fd(src.get(), /*recursive=*/!s.idmap);
    if (!tree.ok()) return at_source(std::move(tree).error(), s.source);
    UniqueFd fd = std::move(tree).value();
    sys::MountAttrs attrs;
    attrs.set = set;
    if (s.idmap) {
      attrs.set |= MOUNT_ATTR_IDMAP;
      attrs.userns_fd = userns_fd;
    }
    if (auto st = sys::mount_setattr(fd.get(), "", attrs, /*recursive=*/!s.idmap); !st.ok())
      return at_source(std::move(st).error(), s.source);
    trees.push_back(std::move(fd));
  }
  return trees;
}

Status decide_bind_mapping(spec::BindMount* b, bool seccomp_confined) {
  b->mapping = {};
  if (b->owner == spec::BindOwner::kPlain) return {};
  if (b->owned_by_sandbox) {
    b->mapping.why_plain = "the tree is handed to the sandbox's user instead";
    return {};
  }
  ASSIGN_OR_RETURN(UniqueFd src, sys::open_no_symlinks(b->source, O_PATH));
  auto st = sys::fd_status(src.get());
  if (!st.ok()) return errno_error(st.error().err, "bind source", b->source);
  const uint32_t uid = st->st_uid;
  const uint32_t gid = st->st_gid;

  std::string refusal;
  if (b->writable && !seccomp_confined)
    refusal =
        "a writable owner-mapped bind needs the syscall filter that refuses set-ID files "
        "(not --seccomp unconfined)";
  if (refusal.empty()) {
    auto defs = sys::read_small_file("/etc/login.defs", 1 << 20);
    plan::NormalIds ids = defs.ok() ? plan::parse_login_defs(*defs) : plan::NormalIds{};
    refusal =
        plan::owner_map_refusal(uid, gid, ids, unique({sys::real_uid(), sys::effective_uid()}),
                                unique({sys::real_gid(), sys::effective_gid()}));
  }
  if (refusal.empty()) {
    // Excluded by UID_MAX/GID_MAX on most hosts already; checked by name all the same.
    auto subuid = sys::read_small_file("/etc/subuid", kMaxAccountFile);
    auto subgid = sys::read_small_file("/etc/subgid", kMaxAccountFile);
    refusal = plan::subordinate_refusal(uid, gid, subuid.ok() ? *subuid : std::string(),
                                        subgid.ok() ? *subgid : std::string());
  }
  if (refusal.empty()) {
    auto passwd = sys::read_small_file("/etc/passwd", kMaxAccountFile);
    auto group = sys::read_small_file("/etc/group", kMaxAccountFile);
    if (!passwd.ok() || !group.ok())
      refusal = "the host's accounts could not be read (" +
                (passwd.ok() ? group.error() : passwd.error()).to_string() + ")";
    else
      refusal = plan::owner_group_refusal(uid, gid, *passwd, *group);
  }
  if (refusal.empty() && b->writable)
    refusal = privileged_file_refusal(src.get(), b->source, uid, gid);
  if (refusal.empty()) {
    // The same mount the start makes, with the owner mapped to itself: a filesystem that
    // takes no idmapped mount (or a submount of the source on one) shows here.
    auto tree = owner_mapped_tree(src.get(), uid, gid, uid, gid, MOUNT_ATTR_NOSUID);
    if (!tree.ok())
      refusal = "its filesystem takes no idmapped mount (" + tree.error().to_string() + ")";
  }
  if (refusal.empty()) {
    b->mapping.owner_mapped = true;
    b->mapping.owner_uid = uid;
    b->mapping.owner_gid = gid;
    return {};
  }
  if (b->owner == spec::BindOwner::kOwner) {
    return logic_error(
        "owner-mapped bind", b->source,
        refusal + "; give " + (b->writable ? "rw" : "ro") + ",plain for a plain bind");
  }
  b->mapping.why_plain = refusal;
  return {};
}

}  // namespace cordon::isolate
