#include "isolate/caps.h"

#include <linux/securebits.h>

#include "sys/creds.h"
#include "sys/process.h"

namespace cordon::isolate {

Status drop_privileges(uid_t uid, gid_t gid, const std::vector<int>& caps, bool boot) {
  // Securebits and the bounding set need CAP_SETPCAP: before the ID change drops it.
  if (caps.empty()) {
    TRY(sys::lock_securebits());  // root inside is an ordinary user, for good
  } else if (!boot) {
    // Root keeps its meaning, bounded by the set below: an exec as root gets the bounding
    // set. No ambient capabilities, so no other UID carries any through an exec.
    TRY(sys::set_securebits(SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED));
  }
  TRY(sys::drop_bounding_and_ambient(caps));
  TRY(sys::clear_groups());
  TRY(sys::set_ids(uid, gid));
  // uid 0 keeps every set through the ID change (and, with --caps none, so does any UID:
  // NO_SETUID_FIXUP); a change to another UID emptied them. Set them exactly either way.
  TRY(sys::set_capabilities(uid == 0 ? caps : std::vector<int>{}));
  return sys::set_no_new_privs();
}

}  // namespace cordon::isolate
