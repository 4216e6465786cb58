// cordon doctor's rules (diag/) against fabricated hosts, and its wire formats (api/).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/doctor_cli.h"
#include "diag/cgroup_mounts.h"
#include "diag/host_facts.h"
#include "diag/kernel_cves.h"
#include "diag/kernel_version.h"
#include "diag/report.h"

namespace cordon::diag {
namespace {

// A host with nothing to report: v2 with delegation, a range of cordon's own, every
// sysctl closed, no SMT, no KSM, AppArmor, KVM.
HostFacts healthy() {
  HostFacts f;
  f.kernel_release = Probe::value("6.8.0");
  f.cgroup_root = CgroupFs::kCgroup2;
  f.cgroup_mounts = {{"/sys/fs/cgroup", true, {"rw", "nsdelegate"}}};
  f.v2_path = "/system.slice/cordon.service";
  f.v2_controllers = Probe::value("cpuset cpu io memory pids");
  f.v2_subtree_control = Probe::value("cpu io memory pids");
  f.v2_procs = Probe::value("");
  f.subuid = Probe::value("alice:100000:65536\ncordon:1000000000:268435456\n");
  f.subgid = f.subuid;
  f.passwd =
      Probe::value("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  f.group = Probe::value("root:x:0:\nalice:x:1000:\n");
  f.sysctls = {
      {"kernel.unprivileged_bpf_disabled", Probe::value("2")},
      {"kernel.io_uring_disabled", Probe::value("2")},
      {"dev.tty.legacy_tiocsti", Probe::value("0")},
      {"dev.tty.ldisc_autoload", Probe::value("0")},
      {"vm.unprivileged_userfaultfd", Probe::value("0")},
      {"kernel.perf_event_paranoid", Probe::value("3")},
      {"kernel.kptr_restrict", Probe::value("1")},
      {"kernel.dmesg_restrict", Probe::value("1")},
      {"kernel.yama.ptrace_scope", Probe::value("1")},
      {"user.max_user_namespaces", Probe::value("63000")},
  };
  f.smt_active = Probe::value("0");
  f.smt_control = Probe::value("off");
  f.ksm_run = Probe::value("0");
  f.cpu_vulnerabilities_read = true;
  f.cpu_vulnerabilities = {{"meltdown", "Not affected"},
                           {"spectre_v2", "Mitigation: Enhanced / Automatic IBRS"}};
  f.lsm = Probe::value("lockdown,capability,landlock,yama,apparmor");
  f.landlock_abi = Probe::value("4");
  f.user_ns = true;
  f.time_ns = true;
  f.kvm = DeviceNode::kCharDevice;
  return f;
}

// The same host, cgroup v1 as on this project's CI machine.
HostFacts healthy_v1() {
  HostFacts f = healthy();
  f.cgroup_root = CgroupFs::kOther;  // a tmpfs holding the hierarchies
  f.cgroup_mounts.clear();
  for (const char* c : {"memory", "pids", "cpu", "cpuacct", "freezer", "blkio"}) {
    f.v1_hierarchies[c] = CgroupFs::kCgroup1;
    f.cgroup_mounts.push_back({std::string("/sys/fs/cgroup/") + c, false, {"rw", c}});
  }
  f.v2_path.clear();
  return f;
}

const Finding& find(const Report& r, const std::string& id) {
  for (const auto& f : r.findings)
    if (f.id == id) return f;
  static Finding none{"<missing>", Status::kInfo, "", "", ""};
  ADD_FAILURE() << "no finding " << id;
  return none;
}

Status status_of(const HostFacts& f, const std::string& id) {
  return find(diagnose(f), id).status;
}

TEST(DoctorKernelVersion, ParsesUpstreamVendorAndReleaseCandidates) {
  auto d = parse_kernel_release("6.1.0-18-amd64");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->major, 6);
  EXPECT_EQ(d->minor, 1);
  EXPECT_EQ(d->patch, 0);
  EXPECT_TRUE(d->vendor());
  auto u = parse_kernel_release("5.15.25");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->patch, 25);
  EXPECT_FALSE(u->vendor());
  auto rc = parse_kernel_release("6.8.0-rc3");
  ASSERT_TRUE(rc);
  EXPECT_TRUE(rc->rc);
  EXPECT_FALSE(rc->at_least(6, 8));
  EXPECT_TRUE(rc->at_least(6, 7));
  auto two = parse_kernel_release("6.8");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->patch, 0);
  EXPECT_TRUE(two->at_least(6, 8));
  auto here = parse_kernel_release("6.18.44-fc-v669");
  ASSERT_TRUE(here);
  EXPECT_EQ(here->minor, 18);
  EXPECT_EQ(here->patch, 44);
  EXPECT_TRUE(here->at_least(6, 6));
  EXPECT_FALSE(parse_kernel_release("linux"));
  EXPECT_FALSE(parse_kernel_release("6"));
  EXPECT_FALSE(parse_kernel_release(""));
}

const KernelCve& cve(const std::string& id) {
  for (const auto& c : kernel_cves())
    if (c.id == id) return c;
  ADD_FAILURE() << "no " << id;
  return kernel_cves().front();
}

CveVerdict judge(const std::string& release, const std::string& id) {
  auto v = parse_kernel_release(release);
  EXPECT_TRUE(v) << release;
  return judge_cve(*v, cve(id));
}

TEST(DoctorKernelCves, DirtyPipeRanges) {
  EXPECT_EQ(judge("5.4.300", "CVE-2022-0847"), CveVerdict::kNotAffected);  // before 5.8
  EXPECT_EQ(judge("5.16.10", "CVE-2022-0847"), CveVerdict::kVulnerable);
  EXPECT_EQ(judge("5.16.11", "CVE-2022-0847"), CveVerdict::kFixed);
  EXPECT_EQ(judge("5.15.25", "CVE-2022-0847"), CveVerdict::kFixed);
  EXPECT_EQ(judge("5.10.101", "CVE-2022-0847"), CveVerdict::kVulnerable);
  EXPECT_EQ(judge("5.17", "CVE-2022-0847"), CveVerdict::kFixed);
  EXPECT_EQ(judge("6.1.0-18-amd64", "CVE-2022-0847"), CveVerdict::kFixed);
  // Below a stable fix but a vendor build: its backports are unknown, so is the verdict.
  EXPECT_EQ(judge("5.10.0-11-amd64", "CVE-2022-0847"), CveVerdict::kUnknown);
  // A branch without a confirmed fix version in the table: unknown, never a guess.
  EXPECT_EQ(judge("5.12.19", "CVE-2022-0847"), CveVerdict::kUnknown);
  EXPECT_EQ(judge("5.17.0-rc4", "CVE-2022-0847"), CveVerdict::kUnknown);
}

TEST(DoctorKernelCves, EveryEntryIsConsistent) {
  std::set<std::string> ids;
  for (const auto& c : kernel_cves()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_EQ(c.id.rfind("CVE-", 0), 0u) << c.id;
    EXPECT_FALSE(c.title.empty());
    EXPECT_FALSE(c.cordon_note.empty());
    auto intro = parse_kernel_release(c.introduced);
    ASSERT_TRUE(intro) << c.id;
    EXPECT_EQ(intro->major, c.introduced_major) << c.id;
    EXPECT_EQ(intro->minor, c.introduced_minor) << c.id;
    // Stable fixes lie between the introduction and the mainline fix.
    for (const auto& s : c.stable) {
      KernelVersion v{s.major, s.minor, s.patch, false, ""};
      EXPECT_EQ(judge_cve(v, c), CveVerdict::kFixed) << c.id;
      EXPECT_FALSE(v.at_least(c.fixed_major, c.fixed_minor)) << c.id;
    }
  }
}

TEST(DoctorKernel, AnUnblockedEscapeFailsABlockedOneWarns) {
  HostFacts f = healthy();
  f.kernel_release = Probe::value("5.10.30");
  Report r = diagnose(f);
  EXPECT_EQ(find(r, "kernel.cve-2022-0847").status, Status::kFail);   // Dirty Pipe
  EXPECT_EQ(find(r, "kernel.cve-2021-22555").status, Status::kWarn);  // netfilter: blocked
  // No confirmed 5.10 fix version for the fsconfig bug in the table: unknown, and blocked.
  EXPECT_EQ(find(r, "kernel.cve-2022-0185").status, Status::kInfo);
  EXPECT_EQ(r.exit_status(), 1);
  // A vendor kernel of the same branch: unknown; blocked ones are only info.
  f.kernel_release = Probe::value("6.1.0-18-amd64");
  r = diagnose(f);
  EXPECT_EQ(find(r, "kernel.cve-2022-0847").status, Status::kOk);
  EXPECT_EQ(find(r, "kernel.cve-2024-1086").status, Status::kInfo);
  EXPECT_NE(find(r, "kernel.cve-2024-1086").seen.find("unknown"), std::string::npos);
}

TEST(DoctorKernel, UnreadableOrOddReleaseIsAWarning) {
  HostFacts f = healthy();
  f.kernel_release = Probe::error("uname: Operation not permitted");
  EXPECT_EQ(status_of(f, "kernel.release"), Status::kWarn);
  EXPECT_EQ(status_of(f, "features.idmapped_mounts"), Status::kWarn);
  f.kernel_release = Probe::value("weird");
  EXPECT_EQ(status_of(f, "kernel.release"), Status::kWarn);
}

TEST(DoctorHealthyHost, NothingToReport) {
  for (const HostFacts& f : {healthy(), healthy_v1()}) {
    Report r = diagnose(f);
    for (const auto& x : r.findings)
      EXPECT_TRUE(x.status == Status::kOk || x.status == Status::kInfo) << x.id << ": " << x.seen;
    EXPECT_EQ(r.exit_status(), 0);
  }
  Report r = diagnose(healthy());
  EXPECT_EQ(r.cgroup_mode, "v2");
  EXPECT_EQ(r.cgroup_backend, "v2");
  EXPECT_EQ(r.kernel_release, "6.8.0");
}

// Properties every rule keeps, on several hosts: stable unique ids in a group, something
// seen, and a reason and a fix for everything that is not ok.
TEST(DoctorFindings, EveryFindingIsComplete) {
  std::vector<HostFacts> hosts = {healthy(), healthy_v1(), HostFacts{}};
  HostFacts bad = healthy();
  bad.kernel_release = Probe::value("5.10.1");
  bad.sysctls.clear();
  bad.smt_active = Probe::value("1");
  bad.smt_control = Probe::value("on");
  bad.ksm_run = Probe::value("1");
  bad.lsm = Probe::absent();
  bad.v2_controllers = Probe::value("cpu");
  hosts.push_back(bad);
  for (const auto& h : hosts) {
    Report r = diagnose(h);
    std::set<std::string> ids;
    for (const auto& f : r.findings) {
      EXPECT_TRUE(ids.insert(f.id).second) << f.id;
      EXPECT_NE(f.id.find('.'), std::string::npos) << f.id;
      EXPECT_FALSE(f.seen.empty()) << f.id;
      if (f.status == Status::kWarn || f.status == Status::kFail) {
        EXPECT_FALSE(f.why.empty()) << f.id;
        EXPECT_FALSE(f.fix.empty()) << f.id;
      }
    }
    EXPECT_EQ(r.exit_status(), r.count(Status::kFail) > 0 ? 1 : 0);
  }
}

TEST(DoctorFeatures, WhatSandboxesNeed) {
  HostFacts f = healthy();
  f.kernel_release = Probe::value("5.11.22");
  EXPECT_EQ(status_of(f, "features.idmapped_mounts"), Status::kFail);
  f.kernel_release = Probe::value("6.1.0-18-amd64");
  EXPECT_EQ(status_of(f, "features.idmapped_mounts"), Status::kOk);
  EXPECT_EQ(status_of(f, "features.tmpfs_user_xattr"), Status::kWarn);
  f.kernel_release = Probe::value("6.6.1");
  EXPECT_EQ(status_of(f, "features.tmpfs_user_xattr"), Status::kOk);
  f.sysctls["user.max_user_namespaces"] = Probe::value("0");
  EXPECT_EQ(status_of(f, "features.user_namespaces"), Status::kFail);
  f = healthy();
  f.user_ns = false;
  EXPECT_EQ(status_of(f, "features.user_namespaces"), Status::kFail);
  f = healthy();
  f.time_ns = false;
  EXPECT_EQ(status_of(f, "features.time_namespaces"), Status::kWarn);
}

TEST(DoctorCgroup, V2DelegationOfTheCallersGroup) {
  HostFacts f = healthy();
  EXPECT_EQ(status_of(f, "cgroup.v2_delegation"), Status::kOk);
  // The parent did not hand pids down: no sandbox can have a pids limit.
  f.v2_controllers = Probe::value("cpu io memory");
  Finding x = find(diagnose(f), "cgroup.v2_delegation");
  EXPECT_EQ(x.status, Status::kFail);
  EXPECT_NE(x.seen.find("lacks pids"), std::string::npos) << x.seen;
  EXPECT_NE(x.fix.find("--cgroup-parent"), std::string::npos);
  // Available but not enabled, in a group with processes of its own: a start fails.
  f = healthy();
  f.v2_subtree_control = Probe::value("");
  f.v2_procs = Probe::value("1234\n5678\n");
  EXPECT_EQ(status_of(f, "cgroup.v2_delegation"), Status::kWarn);
  // The same in an empty group, or the root (exempt from the rule): cordon enables them.
  f.v2_procs = Probe::value("");
  EXPECT_EQ(status_of(f, "cgroup.v2_delegation"), Status::kOk);
  f.v2_path = "/";
  f.v2_procs = Probe::value("1\n");
  EXPECT_EQ(status_of(f, "cgroup.v2_delegation"), Status::kOk);
  f.v2_path.clear();
  EXPECT_EQ(status_of(f, "cgroup.v2_delegation"), Status::kWarn);
}

TEST(DoctorCgroup, ModesAndTheBackendCordonPicks) {
  HostFacts f = healthy_v1();
  Report r = diagnose(f);
  EXPECT_EQ(r.cgroup_mode, "v1");
  EXPECT_EQ(r.cgroup_backend, "v1");
  EXPECT_EQ(find(r, "cgroup.mode").status, Status::kInfo);
  EXPECT_EQ(find(r, "cgroup.v1_controllers").status, Status::kOk);
  // systemd's hybrid layout: a cgroup2 mount beside the v1 hierarchies; cordon uses v1.
  f.cgroup_mounts.push_back({"/sys/fs/cgroup/unified", true, {"rw"}});
  r = diagnose(f);
  EXPECT_EQ(r.cgroup_mode, "hybrid");
  EXPECT_EQ(r.cgroup_backend, "v1");
  EXPECT_NE(find(r, "cgroup.mode").seen.find("/sys/fs/cgroup/unified"), std::string::npos);
  // A missing hierarchy that the limits need fails; blkio (io limits only) warns.
  f.v1_hierarchies["freezer"] = CgroupFs::kAbsent;
  EXPECT_EQ(status_of(f, "cgroup.v1_controllers"), Status::kFail);
  f.v1_hierarchies["freezer"] = CgroupFs::kCgroup1;
  f.v1_hierarchies["blkio"] = CgroupFs::kAbsent;
  EXPECT_EQ(status_of(f, "cgroup.v1_controllers"), Status::kWarn);
  // No cgroup at all.
  HostFacts none = healthy();
  none.cgroup_root = CgroupFs::kOther;
  none.cgroup_mounts.clear();
  r = diagnose(none);
  EXPECT_EQ(r.cgroup_backend, "none");
  EXPECT_EQ(find(r, "cgroup.mode").status, Status::kFail);
}

TEST(DoctorCgroup, Favordynmods) {
  HostFacts f = healthy_v1();
  EXPECT_EQ(status_of(f, "cgroup.v1_favordynmods"), Status::kInfo);
  f.cgroup_mounts[0].options.push_back("favordynmods");
  EXPECT_EQ(status_of(f, "cgroup.v1_favordynmods"), Status::kOk);
  // Not a v2 concern: v2 clones straight into the group.
  for (const auto& x : diagnose(healthy()).findings) EXPECT_NE(x.id, "cgroup.v1_favordynmods");
}

TEST(DoctorCgroupMounts, ParsesMountinfo) {
  const char* text =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
      "50 31 0:40 / /mnt/my\\040groups rw - cgroup cgroup rw,cpu,cpuacct,favordynmods\n"
      "garbage line\n";
  auto m = parse_cgroup_mounts(text);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_FALSE(m[0].v2);
  EXPECT_EQ(m[0].options, (std::vector<std::string>{"rw", "memory"}));
  EXPECT_TRUE(m[1].v2);
  EXPECT_EQ(m[2].mount_point, "/mnt/my groups");
  EXPECT_EQ(m[2].options.back(), "favordynmods");
}

TEST(DoctorIds, RangeChoiceMirrorsIdSlot) {
  HostFacts f = healthy();
  Finding x = find(diagnose(f), "ids.subuid");
  EXPECT_EQ(x.status, Status::kOk);
  EXPECT_NE(x.seen.find("cordon: 1000000000-1268435455 (4096 slots)"), std::string::npos) << x.seen;
  // No entry: the fallback range, which is fine when nobody else is there.
  f.subuid = Probe::value("alice:100000:65536\n");
  x = find(diagnose(f), "ids.subuid");
  EXPECT_EQ(x.status, Status::kOk);
  EXPECT_NE(x.seen.find("fallback range 2147483648-2415919103"), std::string::npos) << x.seen;
  f.subuid = Probe::absent();
  EXPECT_EQ(status_of(f, "ids.subuid"), Status::kOk);
  // Root's entries belong to other root-run container managers: cordon keeps to its
  // fallback range, which must not overlap them.
  f.subuid = Probe::value("root:100000:65536\n");
  x = find(diagnose(f), "ids.subuid");
  EXPECT_EQ(x.status, Status::kOk);
  EXPECT_NE(x.seen.find("fallback range"), std::string::npos) << x.seen;
  // Entries too small for one slot: cordon silently falls back; say so.
  f.subuid = Probe::value("cordon:100000:1000\n");
  EXPECT_EQ(status_of(f, "ids.subuid"), Status::kWarn);
  f.subuid = Probe::error("open /etc/subuid: Permission denied");
  EXPECT_EQ(status_of(f, "ids.subuid"), Status::kWarn);
}

TEST(DoctorIds, OverlapsWithOthersFail) {
  HostFacts f = healthy();
  // Another user's range inside cordon's.
  f.subuid = Probe::value("cordon:1000000000:268435456\nbob:1000065536:65536\n");
  Finding x = find(diagnose(f), "ids.subuid");
  EXPECT_EQ(x.status, Status::kFail);
  EXPECT_NE(x.seen.find("bob's range 1000065536-1000131071"), std::string::npos) << x.seen;
  // Someone holding part of the fallback range.
  f.subuid = Probe::value("lxd:2147483648:65536\n");
  EXPECT_EQ(status_of(f, "ids.subuid"), Status::kFail);
  // A host account inside the range (here the group file, for subgid).
  f = healthy();
  f.group = Probe::value("root:x:0:\nodd:x:1000000001:\n");
  x = find(diagnose(f), "ids.subgid");
  EXPECT_EQ(x.status, Status::kFail);
  EXPECT_NE(x.seen.find("/etc/group entry odd (1000000001)"), std::string::npos) << x.seen;
  EXPECT_EQ(status_of(f, "ids.subuid"), Status::kOk);
}

// A slot is the same IDs for users and groups: the slots are what both files give.
TEST(DoctorIds, SlotsAreTheIdsBothFilesGive) {
  HostFacts f = healthy();
  Finding x = find(diagnose(f), "ids.paired");
  EXPECT_EQ(x.status, Status::kOk);
  EXPECT_EQ(x.seen, "4096 slots in both files");
  // subgid shifted by two slots: 4094 in common, and a warning.
  f.subgid = Probe::value("cordon:1000131072:268435456\n");
  x = find(diagnose(f), "ids.paired");
  EXPECT_EQ(x.status, Status::kWarn);
  EXPECT_EQ(x.seen, "4094 slots in both files (of 4096 slots in subuid, 4096 slots in subgid)");
  EXPECT_FALSE(x.fix.empty());
  // A cordon entry in one file and the fallback in the other: nothing in common.
  f.subgid = Probe::absent();
  x = find(diagnose(f), "ids.paired");
  EXPECT_EQ(x.status, Status::kFail);
  EXPECT_NE(x.seen.find("0 slots in both files"), std::string::npos) << x.seen;
}

TEST(DoctorSysctl, ValuesAbsenceAndGarbage) {
  HostFacts f = healthy();
  f.sysctls["kernel.kptr_restrict"] = Probe::value("0");
  Finding x = find(diagnose(f), "sysctl.kptr_restrict");
  EXPECT_EQ(x.status, Status::kWarn);
  EXPECT_EQ(x.seen, "kernel.kptr_restrict = 0");
  EXPECT_EQ(x.fix,
            "kernel.kptr_restrict = 1 in /etc/sysctl.d/90-cordon.conf, then sysctl --system");
  f.sysctls["dev.tty.legacy_tiocsti"] = Probe::value("1");
  EXPECT_EQ(status_of(f, "sysctl.legacy_tiocsti"), Status::kWarn);
  EXPECT_EQ(status_of(f, "sysctl.ldisc_autoload"), Status::kOk);
  f.sysctls["dev.tty.ldisc_autoload"] = Probe::value("1");
  x = find(diagnose(f), "sysctl.ldisc_autoload");
  EXPECT_EQ(x.status, Status::kWarn);
  EXPECT_EQ(x.seen, "dev.tty.ldisc_autoload = 1");
  EXPECT_EQ(x.fix,
            "dev.tty.ldisc_autoload = 0 in /etc/sysctl.d/90-cordon.conf, then sysctl --system");
  f.sysctls.erase("kernel.yama.ptrace_scope");
  x = find(diagnose(f), "sysctl.ptrace_scope");
  EXPECT_EQ(x.status, Status::kInfo);
  EXPECT_NE(x.seen.find("Yama is not in this kernel"), std::string::npos);
  f.sysctls["kernel.io_uring_disabled"] = Probe::absent();
  x = find(diagnose(f), "sysctl.io_uring_disabled");
  EXPECT_EQ(x.status, Status::kInfo);
  EXPECT_NE(x.seen.find("not available on this kernel"), std::string::npos);
  f.sysctls["kernel.dmesg_restrict"] = Probe::value("yes");
  EXPECT_EQ(status_of(f, "sysctl.dmesg_restrict"), Status::kWarn);
  f.sysctls["kernel.perf_event_paranoid"] = Probe::error("open: Permission denied");
  EXPECT_EQ(status_of(f, "sysctl.perf_event_paranoid"), Status::kWarn);
  f.sysctls["kernel.perf_event_paranoid"] = Probe::value("-1");
  EXPECT_EQ(status_of(f, "sysctl.perf_event_paranoid"), Status::kWarn);
  EXPECT_EQ(sysctl_names().size(), 10u);
}

TEST(DoctorPlatform, SideChannelsModulesAndKvm) {
  HostFacts f = healthy();
  f.smt_active = Probe::value("1");
  f.smt_control = Probe::value("on");
  EXPECT_EQ(status_of(f, "cpu.smt"), Status::kWarn);
  f.smt_control = Probe::value("notsupported");
  EXPECT_EQ(status_of(f, "cpu.smt"), Status::kOk);
  f.ksm_run = Probe::value("1");
  EXPECT_EQ(status_of(f, "mm.ksm"), Status::kWarn);
  f.ksm_run = Probe::absent();
  EXPECT_EQ(status_of(f, "mm.ksm"), Status::kOk);
  f.cpu_vulnerabilities["retbleed"] = "Vulnerable";
  Finding x = find(diagnose(f), "cpu.vulnerabilities");
  EXPECT_EQ(x.status, Status::kWarn);
  EXPECT_NE(x.seen.find("retbleed (Vulnerable)"), std::string::npos);
  // No securityfs: what the modules show elsewhere; Landlock alone is not a MAC.
  f.lsm = Probe::absent();
  f.apparmor_enabled = Probe::absent();
  x = find(diagnose(f), "lsm.modules");
  EXPECT_EQ(x.status, Status::kWarn);
  EXPECT_NE(x.seen.find("landlock"), std::string::npos) << x.seen;
  f.apparmor_enabled = Probe::value("Y");
  EXPECT_EQ(status_of(f, "lsm.modules"), Status::kOk);
  f.lsm = Probe::value("capability,selinux");
  EXPECT_EQ(status_of(f, "lsm.modules"), Status::kOk);
  f.kvm = DeviceNode::kAbsent;
  EXPECT_EQ(status_of(f, "vm.kvm"), Status::kInfo);
}

}  // namespace
}  // namespace cordon::diag

namespace cordon::cli {
namespace {

TEST(DoctorCli, Arguments) {
  auto a = parse_doctor_args({});
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->json);
  a = parse_doctor_args({"--json"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->json);
  EXPECT_TRUE(parse_doctor_args({"--help"})->help);
  EXPECT_TRUE(parse_doctor_args({"-h"})->help);
  auto bad = parse_doctor_args({"--jsn"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("--jsn"), std::string::npos);
  EXPECT_FALSE(parse_doctor_args({"extra"}).ok());
  EXPECT_NE(std::string(doctor_usage()).find("Exit status"), std::string::npos);
}

diag::Report sample() {
  diag::Report r;
  r.kernel_release = "6.1.0-18-amd64";
  r.cgroup_mode = "hybrid";
  r.cgroup_backend = "v1";
  r.findings = {
      {"kernel.release", diag::Status::kInfo, "6.1.0-18-amd64", "", ""},
      {"sysctl.kptr_restrict", diag::Status::kWarn, "kernel.kptr_restrict = 0",
       std::string(300, 'w').replace(100, 1, " ").replace(200, 1, " "), "a fix"},
      {"sysctl.dmesg_restrict", diag::Status::kOk, "kernel.dmesg_restrict = 1", "", ""},
      {"ids.subuid", diag::Status::kFail, "overlaps", "why", "fix"},
  };
  return r;
}

TEST(DoctorCli, JsonShape) {
  auto j = nlohmann::json::parse(doctor_json(sample()));
  EXPECT_EQ(j["host"]["kernel_release"], "6.1.0-18-amd64");
  EXPECT_EQ(j["host"]["cgroup_mode"], "hybrid");
  EXPECT_EQ(j["host"]["cgroup_backend"], "v1");
  ASSERT_EQ(j["findings"].size(), 4u);
  EXPECT_EQ(j["findings"][1]["id"], "sysctl.kptr_restrict");
  EXPECT_EQ(j["findings"][1]["group"], "sysctl");
  EXPECT_EQ(j["findings"][1]["status"], "warn");
  EXPECT_EQ(j["findings"][0]["why"], "");
  EXPECT_EQ(j["summary"],
            nlohmann::json::parse(R"({"ok":1,"info":1,"warn":1,"fail":1,"exit_status":1})"));
}

TEST(DoctorCli, TextIsGroupedAlignedAndWrapped) {
  std::string t = doctor_text(sample());
  EXPECT_EQ(t.rfind("cordon doctor: Linux 6.1.0-18-amd64, cgroup hybrid (cordon uses v1)\n", 0), 0u)
      << t;
  EXPECT_NE(t.find("\nkernel\n  info  kernel.release         6.1.0-18-amd64\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("\nsysctl\n  WARN  sysctl.kptr_restrict   kernel.kptr_restrict = 0\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("        fix: a fix\n"), std::string::npos) << t;
  EXPECT_NE(t.find("\nids\n  FAIL  ids.subuid"), std::string::npos) << t;
  EXPECT_NE(t.find("\nsummary: 1 ok, 1 info, 1 warn, 1 fail (exit status 1)\n"), std::string::npos);
  // ok findings carry no why/fix lines; no line passes 100 columns but a lone long word.
  std::istringstream in(t);
  std::string line;
  int why_lines = 0;
  while (std::getline(in, line)) {
    if (line.find("why:") != std::string::npos) ++why_lines;
    if (line.find(' ') != std::string::npos && line.find("wwwwwwwwww") == std::string::npos) {
      EXPECT_LE(line.size(), 100u) << line;
    }
  }
  EXPECT_EQ(why_lines, 2);  // the warn and the fail; the info has no why
}

}  // namespace
}  // namespace cordon::cli
