// The capabilities a sandbox's root keeps (spec::CapsChoice::kDefault): each one's effect
// stays inside the sandbox's own user namespace and its own 65,536 IDs, so that root
// inside is root over its own files and processes, as package managers and test suites
// expect, and nothing more. Pure.
//
// The kernel checks these against the user namespace that owns the object acted on, and
// for files also that the file's owner and group are mapped in it: a host file (owned by
// IDs outside the slot) is out of their reach even where a bind makes it visible.
// docs/threat-model.md argues each one, and why every other stays out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/spec.h"

namespace cordon::plan {

struct CapabilityName {
  int number;        // CAP_*
  const char* name;  // "CAP_CHOWN"
};

// CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID, CAP_SETUID,
// CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SETFCAP. Never CAP_SYS_ADMIN, CAP_NET_ADMIN,
// CAP_NET_RAW, CAP_SYS_PTRACE, CAP_SYS_CHROOT, CAP_MKNOD, CAP_DAC_READ_SEARCH or the like.
const std::vector<CapabilityName>& namespaced_caps();

// Added in boot mode (--boot) for the image's init: CAP_SYS_ADMIN, CAP_SYS_CHROOT,
// CAP_NET_ADMIN, each checked by the kernel against the namespace that owns the object
// (the sandbox's own mount, UTS, network and cgroup namespaces); docs/threat-model.md.
const std::vector<CapabilityName>& boot_caps();

// The bounding set of the spec's sandbox (root inside gets it as permitted and
// effective; other UIDs get none): namespaced_caps() by default, empty with --caps none.
std::vector<int> granted_caps(const spec::SandboxSpec& spec);

// The names of caps, in the order given ("CAP_CHOWN", ...).
std::vector<std::string> cap_names(const std::vector<int>& caps);

}  // namespace cordon::plan
