#include "sys/landlock.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace cordon::sys {
namespace {

// From <linux/landlock.h>, which older userspace headers do not have.
constexpr unsigned kLandlockCreateRulesetVersion = 1u << 0;
#ifndef SYS_landlock_create_ruleset
constexpr long kSysLandlockCreateRuleset = 444;  // x86_64, the only architecture built
#else
constexpr long kSysLandlockCreateRuleset = SYS_landlock_create_ruleset;
#endif

}  // namespace

Result<int> landlock_abi_version() {
  long v = ::syscall(kSysLandlockCreateRuleset, nullptr, 0, kLandlockCreateRulesetVersion);
  if (v < 0) return sys_error("landlock_create_ruleset");
  return static_cast<int>(v);
}

}  // namespace cordon::sys
