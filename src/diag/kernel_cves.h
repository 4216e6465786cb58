// A small table of kernel bugs that broke container isolation, and how a kernel version
// stands against each. Kept short on purpose: each entry is a well-known escape or a
// bug reachable from a user namespace, with fix versions from public advisories (the
// sources are listed in docs/doctor.md). A stable branch whose fix version we could not
// confirm is judged "unknown", never guessed. Pure.
#pragma once

#include <string>
#include <vector>

#include "diag/kernel_version.h"

namespace cordon::diag {

struct StableFix {
  int major, minor, patch;  // the first release of the major.minor branch with the fix
};

struct KernelCve {
  std::string id;                          // "CVE-2022-0847"
  std::string title;                       // "Dirty Pipe: ..."
  std::string introduced;                  // the first affected release, as published
  int introduced_major, introduced_minor;  // the same, for comparisons
  int fixed_major, fixed_minor;            // the first mainline release with the fix
  std::vector<StableFix> stable;           // confirmed stable backports
  // cordon's defaults keep a sandbox away from the bug's entry points (a syscall, a
  // capability or a file the sandbox never gets); the host stays exposed to anything else.
  bool blocked_by_defaults = false;
  std::string cordon_note;  // what cordon's defaults do against it, and what they do not
};

const std::vector<KernelCve>& kernel_cves();

enum class CveVerdict {
  kNotAffected,  // before the bug was introduced
  kFixed,        // at or past the mainline fix, or a confirmed stable fix
  kVulnerable,   // an upstream release in an affected branch, below its confirmed fix
  kUnknown,      // a vendor kernel, or a branch whose fix version is not in the table
};

CveVerdict judge_cve(const KernelVersion& v, const KernelCve& cve);

}  // namespace cordon::diag
