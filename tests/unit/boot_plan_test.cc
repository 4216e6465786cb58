// --boot as data: what the spec refuses with it, the mounts, capabilities, environment
// and seccomp profile it plans. The boots themselves are tests/integration/boot_test.cc.
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "plan/caps_plan.h"
#include "plan/launch_plan.h"
#include "plan/mount_plan.h"
#include "plan/seccomp_policy.h"
#include "spec/spec.h"

namespace cordon::plan {
namespace {

spec::SandboxSpec boot_spec() {
  spec::SandboxSpec s;
  s.argv = {"/sbin/init"};
  s.rootfs = "/img";
  s.boot = true;
  return s;
}

std::string refusal(const spec::SandboxSpec& s) {
  auto st = spec::validate(s);
  return st.ok() ? "" : st.error().to_string();
}

TEST(BootSpec, NeedsAnImageRootAndRootsPrivileges) {
  EXPECT_EQ(refusal(boot_spec()), "");
  spec::SandboxSpec host = boot_spec();
  host.rootfs.reset();
  EXPECT_NE(refusal(host).find("--rootfs"), std::string::npos) << refusal(host);
  spec::SandboxSpec s = boot_spec();
  s.no_cgroup = true;
  EXPECT_NE(refusal(s).find("no-cgroup"), std::string::npos) << refusal(s);
  s = boot_spec();
  s.caps = spec::CapsChoice::kNone;
  EXPECT_NE(refusal(s).find("caps none"), std::string::npos) << refusal(s);
  s = boot_spec();
  s.seccomp.kind = spec::SeccompChoice::Kind::kStrict;
  EXPECT_NE(refusal(s).find("strict"), std::string::npos) << refusal(s);
  s = boot_spec();
  s.uid = 1000;
  EXPECT_NE(refusal(s).find("root"), std::string::npos) << refusal(s);
  s = boot_spec();
  s.stop_grace_ns = 0;
  EXPECT_NE(refusal(s).find("stop-grace"), std::string::npos) << refusal(s);
}

bool has_step(const MountPlan& p, MountOp op, const std::string& target) {
  return std::any_of(p.steps.begin(), p.steps.end(),
                     [&](const MountStep& s) { return s.op == op && s.target == target; });
}

TEST(BootMounts, RunSysfsCgroupAndConsole) {
  std::string root = kStagingNew;
  MountPlan p = plan_mounts(boot_spec());
  EXPECT_TRUE(has_step(p, MountOp::kTmpfs, root + "/run"));
  EXPECT_TRUE(has_step(p, MountOp::kTmpfs, root + "/run/lock"));
  EXPECT_TRUE(has_step(p, MountOp::kSysfs, root + "/sys"));
  EXPECT_TRUE(has_step(p, MountOp::kMaskDir, root + "/sys/firmware"));
  EXPECT_TRUE(has_step(p, MountOp::kCgroup2, root + "/sys/fs/cgroup"));
  EXPECT_TRUE(has_step(p, MountOp::kFile, root + "/dev/console"));
  // The empty /sys of a plain image run is not there, nor the read-only /dev.
  EXPECT_FALSE(has_step(p, MountOp::kMaskDir, root + "/sys"));
  EXPECT_FALSE(has_step(p, MountOp::kSetReadOnly, root + "/dev"));
  // The cgroup2 mount goes on the sysfs, after it.
  auto at = [&](MountOp op, const std::string& t) {
    return std::find_if(p.steps.begin(), p.steps.end(),
                        [&](const MountStep& s) { return s.op == op && s.target == t; });
  };
  EXPECT_LT(at(MountOp::kSysfs, root + "/sys"), at(MountOp::kCgroup2, root + "/sys/fs/cgroup"));

  spec::SandboxSpec plain = boot_spec();
  plain.boot = false;
  MountPlan q = plan_mounts(plain);
  EXPECT_FALSE(has_step(q, MountOp::kSysfs, root + "/sys"));
  EXPECT_FALSE(has_step(q, MountOp::kCgroup2, root + "/sys/fs/cgroup"));
  EXPECT_FALSE(has_step(q, MountOp::kFile, root + "/dev/console"));
  EXPECT_TRUE(has_step(q, MountOp::kSetReadOnly, root + "/dev"));
}

TEST(BootPlan, CapabilitiesEnvironmentAndStop) {
  spec::SandboxSpec s = boot_spec();
  s.stop_grace_ns = 5'000'000'000;
  LaunchPlan p = compile(s, CallerEnv{}, false);
  EXPECT_TRUE(p.boot);
  EXPECT_EQ(p.stop_grace_ns, 5'000'000'000u);
  for (int cap : {CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_NET_ADMIN})
    EXPECT_NE(std::find(p.caps.begin(), p.caps.end(), cap), p.caps.end()) << cap;
  for (int cap : {CAP_SYS_MODULE, CAP_SYS_BOOT, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, CAP_MKNOD,
                  CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_NET_RAW})
    EXPECT_EQ(std::find(p.caps.begin(), p.caps.end(), cap), p.caps.end()) << cap;
  EXPECT_NE(std::find(p.envp.begin(), p.envp.end(), "container=cordon"), p.envp.end());
  auto names = cap_names(p.caps);
  EXPECT_NE(std::find(names.begin(), names.end(), "CAP_SYS_ADMIN"), names.end());

  spec::SandboxSpec plain = boot_spec();
  plain.boot = false;
  LaunchPlan q = compile(plain, CallerEnv{}, false);
  EXPECT_EQ(std::find(q.caps.begin(), q.caps.end(), CAP_SYS_ADMIN), q.caps.end());
  EXPECT_EQ(std::find(q.envp.begin(), q.envp.end(), "container=cordon"), q.envp.end());
}

seccomp_data call(int nr, std::vector<uint64_t> args = {}) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = AUDIT_ARCH_X86_64;
  for (size_t i = 0; i < args.size() && i < 6; ++i) d.args[i] = args[i];
  return d;
}

TEST(BootSeccomp, MountsAndNamespacesButNoUserNamespaceNorHostCalls) {
  auto program = plan::compile(boot_policy());
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  EXPECT_EQ(program->policy, "boot");
  auto run = [&](int nr, std::vector<uint64_t> args = {}) {
    return run_filter(program->filter, call(nr, std::move(args)));
  };
  constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
  constexpr uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;
  for (int nr : {SYS_mount, SYS_umount2, SYS_pivot_root, SYS_setns, SYS_chroot, SYS_open_tree,
                 SYS_move_mount, SYS_fsopen, SYS_mount_setattr, SYS_sethostname})
    EXPECT_EQ(run(nr), kAllow) << nr;
  EXPECT_EQ(run(SYS_unshare, {CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS}), kAllow);
  EXPECT_EQ(run(SYS_unshare, {CLONE_NEWNS | CLONE_NEWUSER}), kEperm);
  EXPECT_EQ(run(SYS_clone, {CLONE_NEWUSER}), kEperm);
  EXPECT_EQ(run(SYS_clone, {CLONE_NEWPID | SIGCHLD}), kAllow);
  EXPECT_EQ(run(SYS_socket, {AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT}), kAllow);
  EXPECT_EQ(run(SYS_socket, {AF_NETLINK, SOCK_RAW, NETLINK_AUDIT}), kEperm);
  for (int nr : {SYS_keyctl, SYS_add_key, SYS_bpf, SYS_perf_event_open, SYS_init_module,
                 SYS_finit_module, SYS_kexec_load, SYS_open_by_handle_at, SYS_reboot, SYS_swapon,
                 SYS_syslog, SYS_settimeofday})
    EXPECT_EQ(run(nr), kEperm) << nr;
}

}  // namespace
}  // namespace cordon::plan
