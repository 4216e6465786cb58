#include "plan/caps_plan.h"

#include <linux/capability.h>

namespace cordon::plan {

const std::vector<CapabilityName>& namespaced_caps() {
  static const std::vector<CapabilityName> caps = {
      {CAP_CHOWN, "CAP_CHOWN"},
      {CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE"},
      {CAP_FOWNER, "CAP_FOWNER"},
      {CAP_FSETID, "CAP_FSETID"},
      {CAP_KILL, "CAP_KILL"},
      {CAP_SETGID, "CAP_SETGID"},
      {CAP_SETUID, "CAP_SETUID"},
      {CAP_SETPCAP, "CAP_SETPCAP"},
      {CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"},
      {CAP_SETFCAP, "CAP_SETFCAP"},
  };
  return caps;
}

const std::vector<CapabilityName>& boot_caps() {
  static const std::vector<CapabilityName> caps = {
      {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"},
      {CAP_SYS_CHROOT, "CAP_SYS_CHROOT"},
      {CAP_NET_ADMIN, "CAP_NET_ADMIN"},
  };
  return caps;
}

std::vector<int> granted_caps(const spec::SandboxSpec& spec) {
  std::vector<int> out;
  if (spec.caps == spec::CapsChoice::kNone) return out;
  for (const auto& c : namespaced_caps()) out.push_back(c.number);
  if (spec.boot) {
    for (const auto& c : boot_caps()) out.push_back(c.number);
  }
  return out;
}

std::vector<std::string> cap_names(const std::vector<int>& caps) {
  std::vector<std::string> out;
  for (int n : caps) {
    std::string name = "CAP_" + std::to_string(n);
    for (const auto& c : namespaced_caps())
      if (c.number == n) name = c.name;
    for (const auto& c : boot_caps())
      if (c.number == n) name = c.name;
    out.push_back(name);
  }
  return out;
}

}  // namespace cordon::plan
