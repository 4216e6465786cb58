// cpu.*, mm.ksm: what tenants on one host share below the kernel's isolation (caches,
// execution units, deduplicated memory), which no namespace or cgroup separates.
// lsm.modules: the security modules a host adds on top. vm.kvm: the VM tier (planned).
#include <algorithm>

#include "diag/rules.h"

namespace cordon::diag::rules {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

void smt(const HostFacts& f, Findings* out) {
  const std::string id = "cpu.smt";
  std::string why =
      "sibling hardware threads share a core's caches, buffers and execution units: two "
      "tenants on the siblings of one core can observe each other (MDS, L1TF and port "
      "contention attacks), whatever their namespaces and cgroups";
  std::string fix =
      "echo off > /sys/devices/system/cpu/smt/control now, and nosmt on the kernel command "
      "line; or keep tenants on whole cores (cpusets, core scheduling)";
  const std::string& control = f.smt_control.text;
  if (f.smt_control.ok() && (control == "notsupported" || control == "notimplemented")) {
    out->push_back(make(id, Status::kOk, "SMT control: " + control + " (no sibling threads)"));
    return;
  }
  if (!f.smt_active.ok()) {
    out->push_back(
        make(id, Status::kWarn,
             "unknown: " + unreadable("/sys/devices/system/cpu/smt/active", f.smt_active), why,
             "check lscpu (Thread(s) per core)"));
    return;
  }
  std::string seen = "smt/active = " + f.smt_active.text +
                     (f.smt_control.ok() ? ", smt/control = " + control : "");
  if (f.smt_active.text == "0") {
    out->push_back(make(id, Status::kOk, seen));
    return;
  }
  out->push_back(make(id, Status::kWarn, seen, why, fix));
}

void vulnerabilities(const HostFacts& f, Findings* out) {
  const std::string id = "cpu.vulnerabilities";
  const std::string dir = "/sys/devices/system/cpu/vulnerabilities";
  if (!f.cpu_vulnerabilities_read) {
    out->push_back(make(id, Status::kInfo, "unknown: " + dir + " could not be read"));
    return;
  }
  std::vector<std::string> vulnerable;
  for (const auto& [name, text] : f.cpu_vulnerabilities) {
    if (text.rfind("Vulnerable", 0) == 0) vulnerable.push_back(name + " (" + text + ")");
  }
  if (vulnerable.empty()) {
    out->push_back(make(id, Status::kOk,
                        std::to_string(f.cpu_vulnerabilities.size()) +
                            " entries, each \"Not affected\" or mitigated"));
    return;
  }
  std::string list;
  for (const auto& v : vulnerable) list += (list.empty() ? "" : "; ") + v;
  out->push_back(
      make(id, Status::kWarn, "the kernel reports: " + list,
           "a CPU side channel the kernel does not mitigate lets one tenant read or infer data of "
           "another, or of the kernel, across every software boundary; only separate cores (or "
           "hosts) remove it",
           "update the CPU microcode and the kernel, keep mitigations on (no mitigations=off on "
           "the kernel command line; see the kernel's admin-guide/hw-vuln for each entry); in a "
           "virtual machine the hypervisor must expose the mitigations too"));
}

void ksm(const HostFacts& f, Findings* out) {
  const std::string id = "mm.ksm";
  if (f.ksm_run.state == Probe::State::kAbsent) {
    out->push_back(make(id, Status::kOk, "KSM is not in this kernel"));
    return;
  }
  if (!f.ksm_run.ok()) {
    out->push_back(make(id, Status::kWarn, unreadable("/sys/kernel/mm/ksm/run", f.ksm_run)));
    return;
  }
  std::string seen = "/sys/kernel/mm/ksm/run = " + f.ksm_run.text;
  if (f.ksm_run.text != "1") {
    out->push_back(make(id, Status::kOk, seen + " (not merging)"));
    return;
  }
  out->push_back(
      make(id, Status::kWarn, seen + " (merging)",
           "KSM merges identical pages of different processes: the time a write takes (a "
           "copy-on-write break or not) tells a tenant whether another holds a page with the "
           "same content, and a shared physical page is a target for Rowhammer-style attacks",
           "echo 2 > /sys/kernel/mm/ksm/run (unmerge everything and stop), and disable what "
           "starts it (ksmtuned, or a VM manager's memory sharing)"));
}

void lsm(const HostFacts& f, Findings* out) {
  const std::string id = "lsm.modules";
  std::vector<std::string> modules;
  std::string seen;
  if (f.lsm.ok()) {
    modules = split_commas(f.lsm.text);
    seen = "/sys/kernel/security/lsm: " + f.lsm.text;
  } else {
    // Without securityfs, what each module shows elsewhere.
    seen = unreadable("/sys/kernel/security/lsm", f.lsm) + " (securityfs not mounted?)";
    if (f.apparmor_enabled.ok() && f.apparmor_enabled.text == "Y") modules.push_back("apparmor");
    if (f.selinux_enforce.ok()) modules.push_back("selinux");
    if (f.landlock_abi.ok()) modules.push_back("landlock");
    seen += "; seen otherwise: " + (modules.empty() ? std::string("none") : [&] {
              std::string s;
              for (const auto& m : modules) s += (s.empty() ? "" : ",") + m;
              return s;
            }());
  }
  if (f.landlock_abi.ok()) seen += "; Landlock ABI " + f.landlock_abi.text;
  static const std::vector<std::string> kMac = {"apparmor", "selinux", "smack", "tomoyo"};
  bool mac = std::any_of(modules.begin(), modules.end(), [](const std::string& m) {
    return std::find(kMac.begin(), kMac.end(), m) != kMac.end();
  });
  if (mac) {
    out->push_back(make(id, Status::kOk, seen));
    return;
  }
  out->push_back(
      make(id, Status::kWarn, seen + "; no mandatory access control module",
           "cordon loads no LSM policy itself: its boundary is namespaces, an ID slot, empty "
           "capability sets and seccomp. A mandatory access control module (AppArmor, SELinux) "
           "is the second layer other runtimes add (Docker's docker-default AppArmor profile, "
           "SELinux's container_t), and it confines the host's own services too",
           "boot with AppArmor or SELinux enabled (e.g. apparmor=1 security=apparmor on the "
           "kernel command line, with the apparmor package); mount securityfs to see the list: "
           "mount -t securityfs securityfs /sys/kernel/security"));
}

void kvm(const HostFacts& f, Findings* out) {
  if (f.kvm == DeviceNode::kCharDevice) {
    out->push_back(
        make("vm.kvm", Status::kOk, "/dev/kvm is present: the VM tier (planned) can use it"));
    return;
  }
  out->push_back(
      make("vm.kvm", Status::kInfo,
           f.kvm == DeviceNode::kAbsent ? "/dev/kvm is absent" : "/dev/kvm is not a device node",
           "the VM tier (planned) runs each sandbox in a microVM, a hardware boundary for tenants "
           "who must not share a kernel; it needs KVM",
           "enable virtualization (VT-x or AMD-V) in the firmware and load kvm_intel or kvm_amd; "
           "in a cloud VM, an instance type with nested virtualization"));
}

}  // namespace

void platform(const HostFacts& f, Findings* out) {
  smt(f, out);
  vulnerabilities(f, out);
  ksm(f, out);
  lsm(f, out);
  kvm(f, out);
}

}  // namespace cordon::diag::rules
