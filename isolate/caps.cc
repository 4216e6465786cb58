#include "isolate/caps.h"

#include "sys/creds.h"
#include "sys/process.h"

namespace cordon::isolate {

Status drop_privileges(uid_t uid, gid_t gid) {
  // Securebits and the bounding set need CAP_SETPCAP: before the ID change drops it.
  TRY(sys::lock_securebits());
  TRY(sys::drop_bounding_and_ambient());
  TRY(sys::clear_groups());
  TRY(sys::set_ids(uid, gid));
  // For uid 0 the ID change keeps permitted and effective: clear them explicitly.
  TRY(sys::clear_capabilities());
  return sys::set_no_new_privs();
}

}  // namespace cordon::isolate
