#include "isolate/rlimits.h"

#include "sys/process.h"

namespace cordon::isolate {

Status apply_rlimits(const std::vector<plan::RlimitSetting>& limits) {
  for (const auto& l : limits) {
    auto st = sys::set_rlimit(l.resource, l.value);
    if (!st.ok()) {
      Error e = std::move(st).error();
      if (e.err == EPERM) e.detail = "above the caller's hard limit";
      return e;
    }
  }
  return {};
}

}  // namespace cordon::isolate
