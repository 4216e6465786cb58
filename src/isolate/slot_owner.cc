#include "isolate/slot_owner.h"

#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>

#include "isolate/id_slot.h"
#include "sys/creds.h"

namespace cordon::isolate {
namespace {

// The calling thread as `owner` (capabilities kept) while it lives; back to the caller's
// UIDs and securebits at the end. A failure to go back is reported by leave(), which every
// path calls before anything else runs on this thread.
class AsOwner {
 public:
  static Result<AsOwner> enter(uid_t owner) {
    AsOwner a;
    a.caller_ = sys::thread_uids();
    ASSIGN_OR_RETURN(a.bits_, sys::get_securebits());
    ASSIGN_OR_RETURN(a.nproc_, sys::get_rlimit(RLIMIT_NPROC));
    // Without NO_SETUID_FIXUP, leaving UID 0 would empty the permitted and effective sets,
    // and the way back (and CLONE_INTO_CGROUP's write check) would be refused.
    TRY(sys::set_securebits(a.bits_ | SECBIT_NO_SETUID_FIXUP));
    a.owner_ = owner;
    a.active_ = true;
    TRY(sys::set_thread_uids({owner, owner, owner}));
    return a;
  }
  AsOwner(AsOwner&& o) noexcept
      : caller_(o.caller_), bits_(o.bits_), nproc_(o.nproc_), owner_(o.owner_), active_(o.active_) {
    o.active_ = false;
  }
  AsOwner& operator=(AsOwner&&) = delete;
  ~AsOwner() { (void)leave(); }

  // Whether more than `allowed` processes count against owner besides this thread: it
  // becomes owner anew (a change of user is what the kernel judges) with RLIMIT_NPROC at
  // `allowed` for that moment.
  Result<bool> more_than(uint64_t allowed) {
    TRY(sys::set_thread_uids(caller_));
    TRY(sys::set_rlimit(RLIMIT_NPROC, sys::Rlimit{allowed, nproc_.hard}));
    Status became = sys::set_thread_uids({owner_, owner_, owner_});
    // The limit goes back at once: whatever this process clones inherits it.
    Status restored = sys::set_rlimit(RLIMIT_NPROC, nproc_);
    TRY(became);
    TRY(restored);
    return sys::nproc_exceeded();
  }

  // In the clone's child: its credentials are its own (a new user namespace), nothing to
  // undo there.
  void forget() { active_ = false; }

  Status leave() {
    if (!active_) return {};
    active_ = false;
    Status uids = sys::set_thread_uids(caller_);  // also clears PF_NPROC_EXCEEDED
    Status bits = sys::set_securebits(bits_);
    TRY(uids);
    return bits;
  }

 private:
  AsOwner() = default;
  sys::ThreadUids caller_{};
  unsigned long bits_ = 0;
  sys::Rlimit nproc_{};
  uid_t owner_ = 0;
  bool active_ = false;
};

Error in_use(uid_t owner) {
  Error e = errno_error(EBUSY, kSlotInUseStep, "uid " + std::to_string(owner));
  e.detail =
      "processes of another sandbox count against this slot (a cordon that does not see "
      "this one's lock: another mount namespace or runtime directory)";
  return e;
}

}  // namespace

Result<sys::CloneResult> clone_as_slot_owner(uid_t owner, uint64_t flags, int cgroup_fd) {
  // Without a user namespace of its own the child would keep owner's host UID with every
  // capability the supervisor has.
  if ((flags & CLONE_NEWUSER) == 0)
    return logic_error("clone", "", "a sandbox is cloned with a user namespace of its own");
  ASSIGN_OR_RETURN(AsOwner as, AsOwner::enter(owner));
  auto cloned = sys::clone3_fork(flags, cgroup_fd);
  if (!cloned.ok()) {
    TRY(as.leave());
    return std::move(cloned).error();
  }
  sys::CloneResult c = std::move(cloned).value();
  if (c.pid == 0) {  // the child, in its own user namespace
    as.forget();
    return c;
  }
  // Our child counts now, one process: it must be seen (a kernel whose flag ignores a
  // privileged thread would otherwise pass every slot as free), and a second one is
  // someone else's.
  auto counted = as.more_than(0);
  auto shared = counted.ok() && *counted ? as.more_than(1) : Result<bool>(false);
  Status back = as.leave();
  if (!back.ok() || !counted.ok() || !*counted || !shared.ok() || *shared) {
    (void)sys::pidfd_kill(c.pidfd.get(), SIGKILL);
    (void)sys::wait_pidfd(c.pidfd.get());
    if (!back.ok()) return std::move(back).error();
    if (!counted.ok()) return std::move(counted).error();
    if (!*counted)
      return logic_error("take ID slot", "uid " + std::to_string(owner),
                         "this kernel does not report a user's processes to a privileged "
                         "thread (PF_NPROC_EXCEEDED): the slot's use cannot be checked");
    if (!shared.ok()) return std::move(shared).error();
    return in_use(owner);
  }
  return c;
}

}  // namespace cordon::isolate
