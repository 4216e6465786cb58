// kernel.release and kernel.cve-*: the running kernel against a short table of
// container escapes (kernel_cves.h).
#include <cctype>

#include "diag/kernel_cves.h"
#include "diag/kernel_version.h"
#include "diag/rules.h"

namespace cordon::diag::rules {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string stable_list(const KernelCve& c) {
  std::string s;
  for (const auto& f : c.stable) {
    s += (s.empty() ? "" : ", ") + std::to_string(f.major) + "." + std::to_string(f.minor) + "." +
         std::to_string(f.patch);
  }
  return s;
}

// "5.17 (stable: 5.16.11, 5.15.25)": where the fix is, for the affected and unknown cases.
std::string fixed_in(const KernelCve& c) {
  std::string s = std::to_string(c.fixed_major) + "." + std::to_string(c.fixed_minor);
  if (!c.stable.empty()) s += " (stable: " + stable_list(c) + ")";
  return s;
}

Finding judge(const KernelVersion& v, const std::string& release, const KernelCve& c) {
  std::string id = "kernel." + lower(c.id);
  std::string why = c.id + ", " + c.title + ". cordon: " + c.cordon_note + ".";
  std::string fix = "a kernel with the fix: " + fixed_in(c) +
                    " or later, or your distribution's kernel that its advisory for " + c.id +
                    " names";
  switch (judge_cve(v, c)) {
    case CveVerdict::kNotAffected:
      return make(id, Status::kOk, release + ": before " + c.introduced + ", not affected");
    case CveVerdict::kFixed: {
      std::string where =
          "mainline " + std::to_string(c.fixed_major) + "." + std::to_string(c.fixed_minor);
      for (const auto& s : c.stable) {
        if (s.major == v.major && s.minor == v.minor && !v.at_least(c.fixed_major, c.fixed_minor))
          where = "stable " + std::to_string(s.major) + "." + std::to_string(s.minor) + "." +
                  std::to_string(s.patch);
      }
      return make(id, Status::kOk, release + ": fixed (" + where + ")");
    }
    case CveVerdict::kVulnerable:
      return make(
          id, c.blocked_by_defaults ? Status::kWarn : Status::kFail,
          release + ": affected (introduced in " + c.introduced + ", fixed in " + fixed_in(c) + ")",
          why, fix);
    case CveVerdict::kUnknown:
      break;
  }
  std::string seen = release + ": unknown: ";
  if (v.vendor()) {
    seen += "a distribution or local build (suffix \"" + v.suffix +
            "\"), whose version does not say which fixes it carries";
  } else if (v.rc) {
    seen += "a release candidate of " + std::to_string(v.major) + "." + std::to_string(v.minor);
  } else {
    seen += "no confirmed fix version for the " + std::to_string(v.major) + "." +
            std::to_string(v.minor) + " branch in cordon's table";
  }
  seen += " (affected from " + c.introduced + ", fixed in " + fixed_in(c) + ")";
  // One step below a certain verdict: unknown is not affected either.
  return make(id, c.blocked_by_defaults ? Status::kInfo : Status::kWarn, seen, why, fix);
}

}  // namespace

void kernel(const HostFacts& f, Findings* out) {
  if (!f.kernel_release.ok()) {
    out->push_back(make("kernel.release", Status::kWarn, "uname failed: " + f.kernel_release.text,
                        "without the version, no kernel check can be made", "check uname -r"));
    return;
  }
  const std::string& release = f.kernel_release.text;
  auto v = parse_kernel_release(release);
  if (!v) {
    out->push_back(make("kernel.release", Status::kWarn,
                        "\"" + release + "\" does not start with MAJOR.MINOR",
                        "the version checks below cannot be made", "check uname -r"));
    return;
  }
  out->push_back(make("kernel.release", Status::kInfo,
                      release + " (Linux " + v->numbers() +
                          (v->vendor() ? ", a distribution or local build" : "") + ")"));
  for (const auto& c : kernel_cves()) out->push_back(judge(*v, release, c));
}

}  // namespace cordon::diag::rules
