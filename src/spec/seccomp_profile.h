// Seccomp profiles as the caller chooses them: a built-in name, or an OCI seccomp JSON
// document (the "seccomp" object of the OCI runtime spec, as podman, Docker and
// Kubernetes users write them). Parsing is pure and bounded: a profile can come from an
// untrusted API caller. What a profile means (Docker's includes/excludes, names that
// this kernel does not have) is resolved later, in plan/seccomp_policy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cordon::spec {

// Limits on a profile document. Docker's default profile is about 13 KiB with about 40
// rules, 370 names in its largest rule, one arg per rule and a nesting depth of 5.
inline constexpr size_t kMaxProfileBytes = 1 << 20;
inline constexpr size_t kMaxProfileRules = 1024;
inline constexpr size_t kMaxNamesPerRule = 512;
inline constexpr size_t kMaxNamesPerProfile = 8192;  // all rules together
inline constexpr size_t kMaxArgsPerRule = 6;
inline constexpr size_t kMaxProfileDepth = 8;       // objects and arrays, the root included
inline constexpr size_t kMaxProfileListItems = 64;  // architectures, archMap, flags, caps
inline constexpr size_t kMaxSyscallNameBytes = 64;
inline constexpr size_t kMaxProfileStringBytes = 4096;  // comments and other free text
inline constexpr uint32_t kMaxErrnoRet = 4095;          // the kernel's MAX_ERRNO

// What the filter does with a call. SCMP_ACT_TRACE and SCMP_ACT_NOTIFY are rejected by
// the parser: cordon attaches no tracer, and its supervisor keeps the notification
// listener for the denial report (docs/seccomp.md).
enum class SeccompActionKind { kAllow, kErrno, kKillThread, kKillProcess, kTrap, kLog };

struct SeccompAction {
  SeccompActionKind kind = SeccompActionKind::kAllow;
  uint32_t errno_ret = 0;  // kErrno only: the errno the call fails with (1..4095)

  bool operator==(const SeccompAction&) const = default;
};

// SCMP_CMP_*: compare argument `index` with `value`; for kMaskedEq, (arg & value) ==
// value_two, as libseccomp and runc read the OCI fields.
enum class SeccompCmpOp { kNe, kLt, kLe, kEq, kGe, kGt, kMaskedEq };

struct SeccompArg {
  uint32_t index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  SeccompCmpOp op = SeccompCmpOp::kEq;

  bool operator==(const SeccompArg&) const = default;
};

// Docker's "includes"/"excludes" of a rule: the rule applies when the sandbox has all
// `caps`, runs on one of `arches` (Go names: amd64, x32, arm64, ...) and on a kernel at
// least `min_kernel`; an exclude drops the rule when any of its fields matches.
struct SeccompRuleFilter {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::optional<std::pair<uint32_t, uint32_t>> min_kernel;  // major, minor

  bool empty() const { return caps.empty() && arches.empty() && !min_kernel; }
};

struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action;
  std::vector<SeccompArg> args;  // ANDed; see plan/seccomp_policy.h for repeated indexes
  SeccompRuleFilter includes;
  SeccompRuleFilter excludes;
};

struct SeccompProfile {
  SeccompAction default_action;
  // Validated SCMP_ARCH_* names of "architectures" and of "archMap" (both sides). They
  // select nothing: the filter always admits x86_64 alone (the side doors stay closed).
  std::vector<std::string> architectures;
  bool log_flag = false;  // "flags": SECCOMP_FILTER_FLAG_LOG
  std::vector<SeccompRule> syscalls;
};

// Parses and validates an OCI seccomp profile. Unknown keys are errors naming the key;
// Docker's "archMap", "includes", "excludes" and "comment" are accepted (see
// docs/seccomp.md), "listenerPath"/"listenerMetadata", SCMP_ACT_TRACE and
// SCMP_ACT_NOTIFY are rejected. Every error has step "seccomp profile" and names the
// place in the document (for example "syscalls[3].args[0].op").
Result<SeccompProfile> parse_oci_profile(std::string_view json);

// --seccomp default|strict|unconfined|FILE
struct SeccompChoice {
  enum class Kind { kDefault, kStrict, kUnconfined, kFile };
  Kind kind = Kind::kDefault;
  std::string path;                       // kFile: the profile's path, as given
  std::optional<SeccompProfile> profile;  // kFile: filled by whoever reads the file
};

// The three names are keywords; anything else is a path (write ./default for a file
// named "default"). An empty value is an error.
Result<SeccompChoice> parse_seccomp_choice(std::string_view arg);

// "default", "strict", "unconfined" or "file", for the result.
const char* to_string(SeccompChoice::Kind kind);

}  // namespace cordon::spec
