// `cordon doctor` on this machine: the real binary, its JSON checked for shape and
// against facts read here independently (uname, statfs, /proc/sys, /etc/subuid).
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <fstream>
#include <map>
#include <set>

#include "harness.h"

namespace cordon::testing {
namespace {

// Skips until cmd/main.cc dispatches "doctor" (it answers "unknown command" before).
#define REQUIRE_DOCTOR(r)                                                                  \
  do {                                                                                     \
    if ((r).status == 64 && (r).err.find("unknown command 'doctor'") != std::string::npos) \
      GTEST_SKIP() << "cordon doctor is not wired into cmd/main.cc yet";                   \
  } while (0)

bool is_fs(const char* path, long magic) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && static_cast<long>(fs.f_type) == magic;
}

const nlohmann::json* finding(const nlohmann::json& j, const std::string& id) {
  for (const auto& f : j["findings"])
    if (f["id"] == id) return &f;
  return nullptr;
}

TEST(Doctor, JsonHasItsShapeAndTheFactsOfThisHost) {
  RunOut r = run_cordon({"doctor", "--json"});
  REQUIRE_DOCTOR(r);
  ASSERT_TRUE(r.status == 0 || r.status == 1) << r.status << " " << r.err;
  EXPECT_EQ(r.err, "");
  const nlohmann::json& j = r.result;
  ASSERT_TRUE(j.is_object()) << r.out;

  // Shape: every finding complete, ids unique, the summary the findings' own count.
  std::map<std::string, int> counts;
  std::set<std::string> ids;
  for (const auto& f : j["findings"]) {
    std::string id = f["id"], status = f["status"];
    EXPECT_TRUE(ids.insert(id).second) << id;
    EXPECT_EQ(f["group"], id.substr(0, id.find('.'))) << id;
    EXPECT_TRUE(std::set<std::string>({"ok", "info", "warn", "fail"}).count(status)) << id;
    EXPECT_FALSE(f["seen"].get<std::string>().empty()) << id;
    if (status == "warn" || status == "fail") {
      EXPECT_FALSE(f["why"].get<std::string>().empty()) << id;
      EXPECT_FALSE(f["fix"].get<std::string>().empty()) << id;
    }
    ++counts[status];
  }
  for (const char* s : {"ok", "info", "warn", "fail"}) EXPECT_EQ(j["summary"][s], counts[s]) << s;
  EXPECT_EQ(j["summary"]["exit_status"], r.status);
  EXPECT_EQ(r.status, counts["fail"] > 0 ? 1 : 0);
  for (const char* id : {"kernel.release",
                         "kernel.cve-2022-0847",
                         "features.user_namespaces",
                         "features.time_namespaces",
                         "features.idmapped_mounts",
                         "features.tmpfs_user_xattr",
                         "cgroup.mode",
                         "ids.subuid",
                         "ids.subgid",
                         "ids.paired",
                         "sysctl.unprivileged_bpf_disabled",
                         "sysctl.io_uring_disabled",
                         "sysctl.legacy_tiocsti",
                         "sysctl.ldisc_autoload",
                         "sysctl.unprivileged_userfaultfd",
                         "sysctl.perf_event_paranoid",
                         "sysctl.kptr_restrict",
                         "sysctl.dmesg_restrict",
                         "sysctl.ptrace_scope",
                         "cpu.smt",
                         "cpu.vulnerabilities",
                         "mm.ksm",
                         "lsm.modules",
                         "vm.kvm"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }

  // A sysctl finding reports the host's own value, and judges it.
  std::string ldisc = trimmed(read_file("/proc/sys/dev/tty/ldisc_autoload"));
  if (!ldisc.empty()) {
    const nlohmann::json* f = finding(j, "sysctl.ldisc_autoload");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ((*f)["seen"], "dev.tty.ldisc_autoload = " + ldisc);
    EXPECT_EQ((*f)["status"], ldisc == "0" ? "ok" : "warn");
  }

  // The kernel release is uname -r.
  struct utsname u {};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(j["host"]["kernel_release"], u.release);

  // The cgroup backend is the one cordon's detection picks; the mode says whether a
  // cgroup2 mount sits beside v1 hierarchies.
  std::string backend = is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)         ? "v2"
                        : is_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC) ? "v1"
                                                                             : "none";
  EXPECT_EQ(j["host"]["cgroup_backend"], backend);
  if (backend == "v1") {
    bool cgroup2_mounted =
        read_file("/proc/self/mountinfo").find(" - cgroup2 ") != std::string::npos;
    EXPECT_EQ(j["host"]["cgroup_mode"], std::string(cgroup2_mounted ? "hybrid" : "v1"));
    EXPECT_TRUE(ids.count("cgroup.v1_favordynmods"));
  }

  // A sysctl as the host has it.
  std::string kptr = trimmed(read_file("/proc/sys/kernel/kptr_restrict"));
  ASSERT_FALSE(kptr.empty());
  EXPECT_EQ((*finding(j, "sysctl.kptr_restrict"))["seen"], "kernel.kptr_restrict = " + kptr);

  // The slots' range as isolate/id_slot.cc picks it: no cordon or root entry, the fallback.
  std::string subuid = read_file("/etc/subuid");
  bool entry =
      subuid.find("cordon:") != std::string::npos || subuid.find("root:") != std::string::npos;
  std::string seen = (*finding(j, "ids.subuid"))["seen"];
  EXPECT_EQ(seen.find("fallback range 2147483648-2415919103") != std::string::npos, !entry) << seen;

  // Namespaces and /dev/kvm as they are here.
  EXPECT_EQ((*finding(j, "features.time_namespaces"))["status"] == "ok",
            ::access("/proc/self/ns/time", F_OK) == 0);
  struct stat st {};
  bool kvm = ::lstat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode);
  EXPECT_EQ((*finding(j, "vm.kvm"))["status"] == "ok", kvm);
}

// The backend doctor names is the one a real sandbox gets.
TEST(Doctor, BackendMatchesWhatRunUses) {
  REQUIRE_ROOT();
  RunOut d = run_cordon({"doctor", "--json"});
  REQUIRE_DOCTOR(d);
  RunOut r = run_cordon({"run", "--json", "--", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  int version = r.result["cgroup"]["version"];
  EXPECT_EQ(d.result["host"]["cgroup_backend"], "v" + std::to_string(version));
}

TEST(Doctor, HumanFormHelpAndUsageErrors) {
  RunOut t = run_cordon({"doctor"});
  REQUIRE_DOCTOR(t);
  EXPECT_TRUE(t.status == 0 || t.status == 1) << t.err;
  EXPECT_EQ(t.out.rfind("cordon doctor: Linux ", 0), 0u) << t.out;
  for (const char* group : {"\nkernel\n", "\nfeatures\n", "\ncgroup\n", "\nids\n", "\nsysctl\n"})
    EXPECT_NE(t.out.find(group), std::string::npos) << group;
  EXPECT_NE(t.out.find("\nsummary: "), std::string::npos);

  RunOut h = run_cordon({"doctor", "--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_EQ(h.out.rfind("Usage: cordon doctor", 0), 0u) << h.out;

  RunOut bad = run_cordon({"doctor", "--frobnicate"});
  EXPECT_EQ(bad.status, 64);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  EXPECT_NE(bad.err.find("--frobnicate"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace cordon::testing
