// `cordon doctor`'s verdict on a host: a list of findings, each with what was seen, why
// it matters for untrusted code, and the fix. Pure: diagnose() only reads HostFacts.
#pragma once

#include <string>
#include <vector>

#include "diag/host_facts.h"

namespace cordon::diag {

// ok: nothing to do. info: worth knowing, not a weakness. warn: a weakness or something
// that could not be checked. fail: sandboxes cannot start, or are exposed to a known
// escape that cordon's defaults do not block.
enum class Status { kOk, kInfo, kWarn, kFail };
const char* status_name(Status s);

struct Finding {
  std::string id;  // stable: "sysctl.unprivileged_bpf_disabled"; its group is the prefix
  Status status = Status::kInfo;
  std::string seen;  // what the host showed
  std::string why;   // why it matters for untrusted code
  std::string fix;   // a command or a config line; empty when there is nothing to do
};

// The group of a finding: its id up to the first '.' ("sysctl").
std::string group_of(const std::string& id);

struct Report {
  std::string kernel_release;  // uname -r, or "unknown"
  std::string cgroup_mode;     // "v2", "v1", "hybrid" (v1 hierarchies and a cgroup2 mount), "none"
  std::string cgroup_backend;  // what `cordon run` uses: "v2", "v1" or "none"
  std::vector<Finding> findings;

  int count(Status s) const;
  // The exit status of `cordon doctor`: 0 when no finding is "fail", 1 otherwise.
  int exit_status() const;
};

Report diagnose(const HostFacts& facts);

}  // namespace cordon::diag
