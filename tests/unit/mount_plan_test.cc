// plan/mount_plan.h: the order and content of a sandbox's mounts, for the host view and
// for a rootfs image.
#include "plan/mount_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "spec/spec.h"

namespace cordon::plan {
namespace {

using spec::SandboxSpec;

// The staging view, as the header defines it.
const std::string kNew = kStagingNew;
const std::string kScratch = kStagingScratch;
const std::string kLower = kStagingLower;

SandboxSpec host_spec() {
  SandboxSpec s;
  s.argv = {"true"};
  return s;
}

SandboxSpec rootfs_spec() {
  SandboxSpec s = host_spec();
  s.rootfs = "/img";
  return s;
}

using Pred = std::function<bool(const MountStep&)>;

// Index of the first/last step matching pred, or -1.
long first_index(const MountPlan& p, const Pred& pred) {
  for (size_t i = 0; i < p.steps.size(); ++i)
    if (pred(p.steps[i])) return static_cast<long>(i);
  return -1;
}
long last_index(const MountPlan& p, const Pred& pred) {
  for (size_t i = p.steps.size(); i-- > 0;)
    if (pred(p.steps[i])) return static_cast<long>(i);
  return -1;
}
size_t count(const MountPlan& p, const Pred& pred) {
  return static_cast<size_t>(std::count_if(p.steps.begin(), p.steps.end(), pred));
}

Pred op_is(MountOp op) {
  return [op](const MountStep& s) { return s.op == op; };
}
Pred op_at(MountOp op, std::string target) {
  return [op, target](const MountStep& s) { return s.op == op && s.target == target; };
}
Pred under(std::string prefix) {
  return [prefix](const MountStep& s) {
    return s.target == prefix || s.target.rfind(prefix + "/", 0) == 0;
  };
}

// Both modes must keep these orderings.
void check_common_invariants(const SandboxSpec& spec, const MountPlan& p) {
  SCOPED_TRACE(spec.rootfs ? "rootfs mode" : "host view");
  ASSERT_FALSE(p.steps.empty());

  // /dev (whose /dev/null the masks bind) is complete before any /proc step.
  long last_dev = last_index(p, under(kNew + "/dev"));
  long first_proc = first_index(p, under(kNew + "/proc"));
  ASSERT_GE(last_dev, 0);
  ASSERT_GE(first_proc, 0);
  EXPECT_LT(last_dev, first_proc);

  // A fresh procfs at the new root's /proc, before its masks.
  long proc = first_index(p, op_at(MountOp::kProc, kNew + "/proc"));
  ASSERT_GE(proc, 0);
  EXPECT_EQ(count(p, op_is(MountOp::kProc)), 1u);
  EXPECT_EQ(p.steps[static_cast<size_t>(proc)].source, "proc");
  long mkdir_proc = first_index(p, op_at(MountOp::kMkdir, kNew + "/proc"));
  ASSERT_GE(mkdir_proc, 0);
  EXPECT_LT(mkdir_proc, proc);

  // The /dev tmpfs, a node of /dev/null, and /dev read-only once filled.
  long dev_tmpfs = first_index(p, op_at(MountOp::kTmpfs, kNew + "/dev"));
  long dev_null = first_index(p, op_at(MountOp::kBindHost, kNew + "/dev/null"));
  long dev_ro = first_index(p, op_at(MountOp::kSetReadOnly, kNew + "/dev"));
  ASSERT_GE(dev_tmpfs, 0);
  ASSERT_GE(dev_null, 0);
  ASSERT_GE(dev_ro, 0);
  EXPECT_LT(dev_tmpfs, dev_null);
  EXPECT_EQ(dev_ro, last_dev);
  EXPECT_EQ(p.steps[static_cast<size_t>(dev_null)].source, "/dev/null");
  EXPECT_TRUE(p.steps[static_cast<size_t>(dev_null)].is_device);
  for (const auto& n : dev_nodes())
    EXPECT_EQ(count(p, op_at(MountOp::kBindHost, kNew + "/dev/" + n)), 1u) << n;
  long devpts = first_index(p, op_at(MountOp::kDevpts, kNew + "/dev/pts"));
  ASSERT_GE(devpts, 0);
  EXPECT_NE(p.steps[static_cast<size_t>(devpts)].data.find("newinstance"), std::string::npos);

  // Every masked /proc file is covered by the new root's /dev/null, after the procfs mount.
  for (const auto& f : proc_masked_files()) {
    long i = first_index(p, op_at(MountOp::kMaskFile, kNew + "/proc/" + f));
    ASSERT_GE(i, 0) << f;
    EXPECT_EQ(p.steps[static_cast<size_t>(i)].source, kNew + "/dev/null") << f;
    EXPECT_GT(i, proc) << f;
  }
  EXPECT_EQ(count(p, op_is(MountOp::kMaskFile)), proc_masked_files().size());
  for (const auto& d : proc_masked_dirs()) {
    long i = first_index(p, op_at(MountOp::kMaskDir, kNew + "/proc/" + d));
    ASSERT_GE(i, 0) << d;
    EXPECT_GT(i, proc) << d;
  }
  for (const auto& d : proc_readonly()) {
    long i = first_index(p, op_at(MountOp::kReadOnly, kNew + "/proc/" + d));
    ASSERT_GE(i, 0) << d;
    EXPECT_GT(i, proc) << d;
  }

  // The scratch tmpfs carries the --disk cap, and nothing is staged under it (the new
  // root and the image live there) before it is mounted.
  long scratch = first_index(p, op_at(MountOp::kTmpfs, kScratch));
  ASSERT_GE(scratch, 0);
  EXPECT_EQ(count(p, op_at(MountOp::kTmpfs, kScratch)), 1u);
  const std::string& scratch_data = p.steps[static_cast<size_t>(scratch)].data;
  EXPECT_NE(scratch_data.find("size=" + std::to_string(spec.disk_bytes)), std::string::npos)
      << scratch_data;
  for (long i = 0; i < scratch; ++i) {
    const MountStep& s = p.steps[static_cast<size_t>(i)];
    EXPECT_FALSE(s.target.rfind(kScratch + "/", 0) == 0) << "step " << i << " on " << s.target;
    EXPECT_FALSE(s.target.rfind(kNew, 0) == 0) << "step " << i << " on " << s.target;
    EXPECT_FALSE(s.target.rfind(kLower, 0) == 0) << "step " << i << " on " << s.target;
  }

  // Every target sits in the staging view.
  for (const auto& s : p.steps) {
    EXPECT_TRUE(s.target.rfind(kNew, 0) == 0 || s.target.rfind(kScratch, 0) == 0 ||
                s.target.rfind(kLower, 0) == 0)
        << s.target;
  }
  EXPECT_EQ(p.tree_count(), count(p, op_is(MountOp::kAttachTree)));
}

// ---- host view ----

TEST(MountPlanHostView, Invariants) {
  SandboxSpec spec = host_spec();
  MountPlan p = plan_mounts(spec);
  check_common_invariants(spec, p);
}

TEST(MountPlanHostView, EndsWithReadOnlyNewRoot) {
  MountPlan p = plan_mounts(host_spec());
  ASSERT_FALSE(p.steps.empty());
  EXPECT_EQ(p.steps.back().op, MountOp::kSetReadOnly);
  EXPECT_EQ(p.steps.back().target, kNew);
  EXPECT_EQ(count(p, op_at(MountOp::kSetReadOnly, kNew)), 1u);
}

TEST(MountPlanHostView, NoTreesNoOverlayNoLower) {
  MountPlan p = plan_mounts(host_spec());
  EXPECT_EQ(p.tree_count(), 0u);
  EXPECT_EQ(count(p, op_is(MountOp::kOverlay)), 0u);
  EXPECT_EQ(count(p, under(kLower)), 0u);
}

TEST(MountPlanHostView, MirrorsHostDirsOptionally) {
  MountPlan p = plan_mounts(host_spec());
  long root_tmpfs = first_index(p, op_at(MountOp::kTmpfs, kNew));
  ASSERT_GE(root_tmpfs, 0);
  for (const auto& d : host_view_dirs()) {
    long i = first_index(p, op_at(MountOp::kMirrorHost, kNew + d));
    ASSERT_GE(i, 0) << d;
    const MountStep& s = p.steps[static_cast<size_t>(i)];
    EXPECT_EQ(s.source, d);
    EXPECT_TRUE(s.optional) << d;
    EXPECT_FALSE(s.writable) << d;
    EXPECT_GT(i, root_tmpfs) << d;
  }
  // The host's /etc is staged once, read-only, before any of its entries is bound.
  long stage = first_index(p, op_at(MountOp::kStageHost, kStagingEtc));
  ASSERT_GE(stage, 0);
  EXPECT_EQ(p.steps[static_cast<size_t>(stage)].source, "/etc");
  EXPECT_FALSE(p.steps[static_cast<size_t>(stage)].writable);
  for (const auto& e : host_view_etc()) {
    long i = first_index(p, op_at(MountOp::kBindFromStage, kNew + "/etc/" + e));
    ASSERT_GE(i, 0) << e;
    EXPECT_GT(i, stage) << e;
    EXPECT_EQ(p.steps[static_cast<size_t>(i)].source, std::string(kStagingEtc) + "/" + e);
    EXPECT_EQ(p.steps[static_cast<size_t>(i)].host_path, "/etc/" + e);
    EXPECT_TRUE(p.steps[static_cast<size_t>(i)].optional) << e;
    EXPECT_FALSE(p.steps[static_cast<size_t>(i)].writable) << e;
  }
}

// The hosts file gets the sandbox's own name, after the host's hosts file is in place,
// from a scratch file that no bind of the new root reaches.
TEST(MountPlanHostView, HostsFileNamesTheSandbox) {
  SandboxSpec spec = host_spec();
  spec.hostname = "judge-7";
  MountPlan p = plan_mounts(spec);
  long hosts = first_index(p, op_at(MountOp::kHostsFile, kNew + "/etc/hosts"));
  ASSERT_GE(hosts, 0);
  const MountStep& s = p.steps[static_cast<size_t>(hosts)];
  EXPECT_EQ(s.data, "judge-7");
  EXPECT_GT(hosts, first_index(p, op_at(MountOp::kBindFromStage, kNew + "/etc/hosts")));
  EXPECT_GT(hosts, first_index(p, op_at(MountOp::kTmpfs, kScratch)));
  EXPECT_EQ(s.source, kScratch + "/hosts");
  for (const auto& b : p.steps) {
    if (b.op == MountOp::kBindStaged) {
      EXPECT_NE(s.source.rfind(b.source, 0), 0u) << b.source;
    }
  }
}

TEST(MountPlanHostView, TmpAndHomeLiveOnScratch) {
  MountPlan p = plan_mounts(host_spec());
  long tmp = first_index(p, op_at(MountOp::kBindStaged, kNew + "/tmp"));
  ASSERT_GE(tmp, 0);
  EXPECT_EQ(p.steps[static_cast<size_t>(tmp)].source, kScratch + "/tmp");
  EXPECT_TRUE(p.steps[static_cast<size_t>(tmp)].writable);
  long home = first_index(p, op_at(MountOp::kBindStaged, kNew + "/root"));
  ASSERT_GE(home, 0) << "uid 0's home is /root";
  EXPECT_EQ(p.steps[static_cast<size_t>(home)].source, kScratch + "/home");
  EXPECT_TRUE(p.steps[static_cast<size_t>(home)].writable);
}

TEST(MountPlanHostView, HomeForUid1000) {
  SandboxSpec spec = host_spec();
  spec.uid = 1000;
  spec.gid = 1000;
  MountPlan p = plan_mounts(spec);
  long mk_scratch_home = first_index(p, op_at(MountOp::kMkdir, kScratch + "/home"));
  ASSERT_GE(mk_scratch_home, 0);
  EXPECT_TRUE(p.steps[static_cast<size_t>(mk_scratch_home)].chown);
  EXPECT_EQ(p.steps[static_cast<size_t>(mk_scratch_home)].mode, 0700u);
  long mk_home = first_index(p, op_at(MountOp::kMkdir, kNew + "/home/user"));
  ASSERT_GE(mk_home, 0);
  long bind_home = first_index(p, op_at(MountOp::kBindStaged, kNew + "/home/user"));
  ASSERT_GE(bind_home, 0);
  EXPECT_EQ(p.steps[static_cast<size_t>(bind_home)].source, kScratch + "/home");
  EXPECT_TRUE(p.steps[static_cast<size_t>(bind_home)].writable);
  EXPECT_LT(mk_scratch_home, bind_home);
  EXPECT_LT(mk_home, bind_home);
  EXPECT_EQ(count(p, under(kNew + "/root")), 0u);
}

TEST(MountPlanHostView, ScratchSizeFollowsDisk) {
  SandboxSpec spec = host_spec();
  spec.disk_bytes = 3ull << 30;
  MountPlan p = plan_mounts(spec);
  check_common_invariants(spec, p);
  long scratch = first_index(p, op_at(MountOp::kTmpfs, kScratch));
  ASSERT_GE(scratch, 0);
  EXPECT_NE(p.steps[static_cast<size_t>(scratch)].data.find("size=3221225472"), std::string::npos)
      << p.steps[static_cast<size_t>(scratch)].data;
}

// ---- rootfs mode ----

TEST(MountPlanRootfs, Invariants) {
  SandboxSpec spec = rootfs_spec();
  MountPlan p = plan_mounts(spec);
  check_common_invariants(spec, p);
}

TEST(MountPlanRootfs, ImageIsOneIdmappedTreeAtLower) {
  MountPlan p = plan_mounts(rootfs_spec());
  ASSERT_EQ(count(p, op_is(MountOp::kAttachTree)), 1u);
  EXPECT_EQ(p.tree_count(), 1u);
  const MountStep& image =
      p.steps[static_cast<size_t>(first_index(p, op_is(MountOp::kAttachTree)))];
  EXPECT_TRUE(image.idmap);
  EXPECT_EQ(image.source, "/img");
  EXPECT_EQ(image.target, kLower);
  EXPECT_FALSE(image.writable);
}

TEST(MountPlanRootfs, OverlayWithUserxattrOverLower) {
  MountPlan p = plan_mounts(rootfs_spec());
  ASSERT_EQ(count(p, op_is(MountOp::kOverlay)), 1u);
  long ov = first_index(p, op_at(MountOp::kOverlay, kNew));
  ASSERT_GE(ov, 0);
  const std::string& data = p.steps[static_cast<size_t>(ov)].data;
  EXPECT_NE(data.find("userxattr"), std::string::npos) << data;
  EXPECT_NE(data.find("lowerdir=" + kLower), std::string::npos) << data;
  EXPECT_NE(data.find("upperdir=" + kScratch + "/upper"), std::string::npos) << data;
  EXPECT_NE(data.find("workdir=" + kScratch + "/work"), std::string::npos) << data;
  long image = first_index(p, op_is(MountOp::kAttachTree));
  long scratch = first_index(p, op_at(MountOp::kTmpfs, kScratch));
  long upper = first_index(p, op_at(MountOp::kMkdir, kScratch + "/upper"));
  long work = first_index(p, op_at(MountOp::kMkdir, kScratch + "/work"));
  ASSERT_GE(upper, 0);
  ASSERT_GE(work, 0);
  EXPECT_LT(image, ov);
  EXPECT_LT(scratch, upper);
  EXPECT_LT(upper, ov);
  EXPECT_LT(work, ov);
  // Everything in the new root comes after the overlay that is the new root.
  EXPECT_LT(ov, first_index(p, under(kNew + "/dev")));
}

TEST(MountPlanRootfs, NewRootStaysWritable) {
  MountPlan p = plan_mounts(rootfs_spec());
  EXPECT_EQ(count(p, op_at(MountOp::kSetReadOnly, kNew)), 0u);
  EXPECT_EQ(count(p, op_is(MountOp::kMirrorHost)), 0u);
  EXPECT_EQ(count(p, op_at(MountOp::kTmpfs, kNew)), 0u);
}

TEST(MountPlanRootfs, HomeIsAChownedDirInTheImage) {
  SandboxSpec spec = rootfs_spec();
  spec.uid = 1000;
  MountPlan p = plan_mounts(spec);
  long home = first_index(p, op_at(MountOp::kMkdir, kNew + "/home/user"));
  ASSERT_GE(home, 0);
  EXPECT_TRUE(p.steps[static_cast<size_t>(home)].chown);
  EXPECT_GT(home, first_index(p, op_is(MountOp::kOverlay)));
}

// ---- user binds ----

void check_binds(const SandboxSpec& spec) {
  SCOPED_TRACE(spec.rootfs ? "rootfs mode" : "host view");
  MountPlan p = plan_mounts(spec);
  check_common_invariants(spec, p);
  size_t image_trees = spec.rootfs ? 1 : 0;
  EXPECT_EQ(p.tree_count(), spec.binds.size() + image_trees);

  long last_proc = last_index(p, under(kNew + "/proc"));
  ASSERT_GE(last_proc, 0);
  // The bind steps are the non-idmapped trees, in spec order, all after /proc.
  std::vector<size_t> bind_steps;
  for (size_t i = 0; i < p.steps.size(); ++i)
    if (p.steps[i].op == MountOp::kAttachTree && !p.steps[i].idmap) bind_steps.push_back(i);
  ASSERT_EQ(bind_steps.size(), spec.binds.size());
  for (size_t b = 0; b < spec.binds.size(); ++b) {
    const MountStep& s = p.steps[bind_steps[b]];
    EXPECT_EQ(s.source, spec.binds[b].source) << b;
    EXPECT_EQ(s.target, kNew + spec.binds[b].target) << b;
    EXPECT_EQ(s.writable, spec.binds[b].writable) << b;
    EXPECT_GT(static_cast<long>(bind_steps[b]), last_proc) << b;
    if (b > 0) {
      EXPECT_GT(bind_steps[b], bind_steps[b - 1]);
    }
  }
  if (!spec.rootfs) {
    // The root goes read-only after the binds are attached (non-recursively).
    ASSERT_FALSE(bind_steps.empty());
    EXPECT_GT(last_index(p, op_at(MountOp::kSetReadOnly, kNew)),
              static_cast<long>(bind_steps.back()));
  }
}

TEST(MountPlanBinds, HostView) {
  SandboxSpec spec = host_spec();
  spec.binds = {
      {"/srv/data", "/data", true}, {"/srv/ro", "/opt/ro", false}, {"/home/me/src", "/src", true}};
  check_binds(spec);
}

TEST(MountPlanBinds, RootfsMode) {
  SandboxSpec spec = rootfs_spec();
  spec.binds = {{"/srv/ro", "/opt/ro", false}, {"/srv/data", "/data", true}};
  check_binds(spec);
}

TEST(MountPlanBinds, NoBinds) {
  EXPECT_EQ(plan_mounts(host_spec()).tree_count(), 0u);
  EXPECT_EQ(plan_mounts(rootfs_spec()).tree_count(), 1u);
}

TEST(MountPlanBinds, OwnerMappingTravelsToTheStep) {
  SandboxSpec spec = host_spec();
  spec::BindMount mapped("/home/me/src", "/src", true);
  mapped.mapping.owner_mapped = true;
  mapped.mapping.owner_uid = 1500;
  mapped.mapping.owner_gid = 1600;
  spec::BindMount handed("/state/jobs/1/workspace", "/workspace", true);
  handed.owned_by_sandbox = true;
  spec::BindMount plain("/srv/ro", "/ro", false);
  spec.binds = {mapped, handed, plain};
  check_binds(spec);
  std::vector<MountStep> binds;
  for (const auto& s : plan_mounts(spec).steps)
    if (s.op == MountOp::kAttachTree) binds.push_back(s);
  ASSERT_EQ(binds.size(), 3u);
  EXPECT_TRUE(binds[0].owner_map);
  EXPECT_EQ(binds[0].owner_uid, 1500u);
  EXPECT_EQ(binds[0].owner_gid, 1600u);
  EXPECT_FALSE(binds[0].owned_by_sandbox);
  EXPECT_FALSE(binds[1].owner_map);
  EXPECT_TRUE(binds[1].owned_by_sandbox);
  EXPECT_FALSE(binds[2].owner_map);
  EXPECT_FALSE(binds[2].owned_by_sandbox);
  // Never the sandbox's own namespace: owner-mapped trees get one of their own.
  for (const auto& b : binds) EXPECT_FALSE(b.idmap);
}

TEST(MountPlanOwner, LoginDefsRanges) {
  NormalIds d = parse_login_defs("");
  EXPECT_EQ(d.uid_min, 1000u);
  EXPECT_EQ(d.uid_max, 60000u);
  EXPECT_EQ(d.gid_min, 1000u);
  EXPECT_EQ(d.gid_max, 60000u);
  NormalIds ids = parse_login_defs(
      "# UID_MIN 1\nUID_MIN\t\t 500\nUID_MAX 29999 # local\nGID_MIN 700\n"
      "GID_MAX x\nUID_MINX 3\n  MAIL_DIR /var/mail\n");
  EXPECT_EQ(ids.uid_min, 500u);
  EXPECT_EQ(ids.uid_max, 29999u);
  EXPECT_EQ(ids.gid_min, 700u);
  EXPECT_EQ(ids.gid_max, 60000u);  // not a number: the default stays
}

TEST(MountPlanOwner, OnlyNormalUsersAreMapped) {
  NormalIds ids;
  std::vector<uint32_t> svc_u = {0}, svc_g = {0};
  EXPECT_EQ(owner_map_refusal(1000, 1000, ids, svc_u, svc_g), "");
  EXPECT_EQ(owner_map_refusal(60000, 60000, ids, svc_u, svc_g), "");
  EXPECT_NE(owner_map_refusal(0, 1000, ids, svc_u, svc_g).find("root"), std::string::npos);
  EXPECT_NE(owner_map_refusal(1000, 0, ids, svc_u, svc_g).find("group 0"), std::string::npos);
  EXPECT_EQ(owner_map_refusal(1000, 0, ids, svc_u, svc_g).find("owned by root"), std::string::npos);
  // Root stays refused even where login.defs would count it.
  EXPECT_NE(owner_map_refusal(0, 0, NormalIds{0, 60000, 0, 60000}, {}, {}), "");
  EXPECT_NE(owner_map_refusal(999, 1000, ids, svc_u, svc_g).find("UID_MIN"), std::string::npos);
  EXPECT_NE(owner_map_refusal(1000, 999, ids, svc_u, svc_g).find("GID_MIN"), std::string::npos);
  EXPECT_NE(owner_map_refusal(65534, 65534, ids, svc_u, svc_g).find("UID_MAX"), std::string::npos);
  EXPECT_NE(owner_map_refusal(2147483648u, 1000, ids, svc_u, svc_g), "");
  // The IDs the service runs as, even when they look like a normal user's.
  EXPECT_NE(owner_map_refusal(1500, 1500, ids, {1500}, {}).find("cordon runs as"),
            std::string::npos);
  EXPECT_NE(owner_map_refusal(1500, 1600, ids, {}, {1600}).find("cordon runs as"),
            std::string::npos);
  EXPECT_EQ(owner_map_line(1500, 2147483648ull), "1500 2147483648 1\n");
}

TEST(MountPlanOwner, TheGroupMustBeOneOfTheOwners) {
  const std::string passwd =
      "root:x:0:0:root:/root:/bin/bash\n"
      "alice:x:1500:1500::/home/alice:/bin/sh\n"
      "# a comment\n"
      "bob:x:1600:1600::/home/bob:/bin/sh\n"
      "broken:x:1700\n";
  const std::string group =
      "root:x:0:\n"
      "alice:x:1500:\n"
      "staff:x:1800:bob,alice\n"
      "devs:x:1900:bob,alicex\n"
      "other:x:1950:\n";
  // Her primary group, and a group listing her by name.
  EXPECT_EQ(owner_group_refusal(1500, 1500, passwd, group), "");
  EXPECT_EQ(owner_group_refusal(1500, 1800, passwd, group), "");
  // Bob's group, a group listing a longer name, one listing nobody: refused, saying why.
  std::string why = owner_group_refusal(1500, 1600, passwd, group);
  EXPECT_NE(why.find("group 1600"), std::string::npos) << why;
  EXPECT_NE(why.find("alice"), std::string::npos) << why;
  EXPECT_NE(owner_group_refusal(1500, 1900, passwd, group), "");
  EXPECT_NE(owner_group_refusal(1500, 1950, passwd, group), "");
  // A group the group file does not have at all.
  EXPECT_NE(owner_group_refusal(1500, 4242, passwd, group), "");
  // An owner with no account (or a line too short to be one).
  why = owner_group_refusal(4711, 4711, passwd, group);
  EXPECT_NE(why.find("no account"), std::string::npos) << why;
  EXPECT_NE(owner_group_refusal(1700, 1700, passwd, group), "");
  EXPECT_NE(owner_group_refusal(1500, 1500, "", group), "");
}

TEST(MountPlanOwner, SubordinateIdsAreNeverMapped) {
  const std::string subuid = "alice:100000:65536\n# x\ncordon:3000:10\nbad:1:x\n";
  const std::string subgid = "alice:200000:65536\n";
  EXPECT_EQ(subordinate_refusal(1500, 1500, subuid, subgid), "");
  // Whoever's range it is, its first and last IDs, and not one past.
  EXPECT_NE(subordinate_refusal(100000, 1500, subuid, subgid).find("subordinate UID"),
            std::string::npos);
  EXPECT_NE(subordinate_refusal(165535, 1500, subuid, subgid), "");
  EXPECT_EQ(subordinate_refusal(165536, 1500, subuid, subgid), "");
  EXPECT_NE(subordinate_refusal(3005, 1500, subuid, subgid), "");
  EXPECT_NE(subordinate_refusal(1500, 200000, subuid, subgid).find("subordinate GID"),
            std::string::npos);
  // UID ranges do not count as GID ranges.
  EXPECT_EQ(subordinate_refusal(1500, 100000, subuid, subgid), "");
  // cordon's fallback slots, with no file at all.
  EXPECT_NE(subordinate_refusal(2147483648u, 1500, "", ""), "");
  EXPECT_NE(subordinate_refusal(1500, 2147483648u + 5, "", ""), "");
}

// ---- the lists ----

TEST(MountPlanLists, Contents) {
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  EXPECT_TRUE(has(proc_masked_files(), "kcore"));
  EXPECT_TRUE(has(proc_masked_files(), "sysrq-trigger"));
  EXPECT_TRUE(has(proc_readonly(), "sys"));
  EXPECT_TRUE(has(dev_nodes(), "null"));
  EXPECT_TRUE(has(host_view_dirs(), "/usr"));
  EXPECT_TRUE(has(host_view_etc(), "passwd"));
  EXPECT_FALSE(has(host_view_etc(), "shadow"));
  for (const auto& d : host_view_dirs()) EXPECT_TRUE(spec::is_clean_absolute_path(d)) << d;
}

}  // namespace
}  // namespace cordon::plan
