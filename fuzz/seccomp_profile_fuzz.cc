// libFuzzer target for spec::parse_oci_profile (see fuzz/README.md). Every input must
// either parse into a profile within the documented limits or be rejected with an
// error that names the place; nothing may crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "spec/seccomp_profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = cordon::spec::parse_oci_profile(text);
  if (!r.ok()) {
    if (r.error().step != "seccomp profile") std::abort();
    return 0;
  }
  const auto& p = r.value();
  if (p.syscalls.size() > cordon::spec::kMaxProfileRules) std::abort();
  for (const auto& rule : p.syscalls) {
    if (rule.names.empty() || rule.names.size() > cordon::spec::kMaxNamesPerRule) std::abort();
    if (rule.args.size() > cordon::spec::kMaxArgsPerRule) std::abort();
    for (const auto& a : rule.args) {
      if (a.index > 5) std::abort();
    }
    if (rule.action.kind == cordon::spec::SeccompActionKind::kErrno &&
        (rule.action.errno_ret == 0 || rule.action.errno_ret > cordon::spec::kMaxErrnoRet))
      std::abort();
  }
  return 0;
}
