#include "diag/report.h"

#include <algorithm>

#include "diag/rules.h"

namespace cordon::diag {

const char* status_name(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kInfo:
      return "info";
    case Status::kWarn:
      return "warn";
    case Status::kFail:
      return "fail";
  }
  return "?";
}

std::string group_of(const std::string& id) {
  return id.substr(0, id.find('.'));
}

int Report::count(Status s) const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                        [s](const Finding& f) { return f.status == s; }));
}

int Report::exit_status() const {
  return count(Status::kFail) == 0 ? 0 : 1;
}

Report diagnose(const HostFacts& facts) {
  Report r;
  r.kernel_release = facts.kernel_release.ok() ? facts.kernel_release.text : "unknown";
  rules::CgroupLayout layout = rules::cgroup_layout(facts);
  r.cgroup_mode = layout.mode;
  r.cgroup_backend = layout.backend;
  // The order of the human output: what sandboxes need first, then what weakens them.
  rules::kernel(facts, &r.findings);
  rules::features(facts, &r.findings);
  rules::cgroup(facts, &r.findings);
  rules::ids(facts, &r.findings);
  rules::sysctl(facts, &r.findings);
  rules::platform(facts, &r.findings);
  return r;
}

namespace rules {

Finding make(std::string id, Status status, std::string seen, std::string why, std::string fix) {
  return Finding{std::move(id), status, std::move(seen), std::move(why), std::move(fix)};
}

std::string unreadable(const std::string& path, const Probe& p) {
  if (p.state == Probe::State::kAbsent) return path + " is absent";
  return "could not read " + path + (p.text.empty() ? "" : ": " + p.text);
}

std::string sysctl_fix(const std::string& name, const std::string& value) {
  return name + " = " + value + " in /etc/sysctl.d/90-cordon.conf, then sysctl --system";
}

}  // namespace rules
}  // namespace cordon::diag
