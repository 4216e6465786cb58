// ID slots: a 65,536-ID host range, the same numbers as UIDs and as GIDs, held by one
// sandbox at a time. Two holds, each covering what the other cannot:
// - an flock on a per-slot file in the runtime directory, which the kernel drops when the
//   last holder dies (a supervisor killed with SIGKILL leaks no slot): it keeps cordons
//   that share that directory from racing for one slot, at the cost of one open;
// - the kernel's host-wide count of the slot UID's processes, checked at the clone
//   (slot_owner.h): a cordon that sees another runtime directory (a private mount
//   namespace, a cleaned /run) gets the lock of a slot in use, and is refused there.
// Being one range for both, a slot's GIDs are held exactly when its UIDs are.
//
// A lock file lives while its slot is held: the last holder's release unlinks it, under
// the lock, when no one else holds it. A taker may have opened the file just before the
// unlink and get its lock just after; so every taker checks, lock in hand, that the file
// it locked is still the one at the path (linked, same inode), and opens again if not.
// Only a holder of a file's lock unlinks it, so a checked lock stays the slot's until
// released. A crash between the release and the unlink leaves an unheld file, which
// blocks nothing: the next taker of that slot locks it, and removes it on release.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/id_range.h"

namespace cordon::isolate {

inline constexpr const char* kDefaultSlotDir = "/run/cordon/slots";
// Slots reserved for the whole life of an instance (instance/), which no other sandbox
// takes even while the instance is stopped: one file per slot, named by its base, holding
// who reserved it. On disk, not under /run: an instance outlives a reboot.
inline constexpr const char* kDefaultReservedDir = "/var/lib/cordon/reserved-slots";

// The step of the errors (EBUSY) that say a slot is in use by a sandbox this cordon's lock
// did not show (slot_owner.h, create_cgroup): the start then tries another slot.
inline constexpr const char* kSlotInUseStep = "ID slot in use";
inline bool slot_in_use(const Error& e) {
  return e.err == EBUSY && e.step == kSlotInUseStep;
}

// Slot i is slots.base(i) for UIDs and for GIDs; its lock file is named by that base.
struct SlotConfig {
  std::string lock_dir = kDefaultSlotDir;
  std::string reserved_dir = kDefaultReservedDir;
  plan::SlotSpace slots{{}};
  bool uid_fallback = false;  // no /etc/subuid entry: the documented fallback range
  bool gid_fallback = false;
};

// Reads /etc/subuid and /etc/subgid (the entries of "cordon", never root's), with the
// fallback range of plan/id_range.h for a file without one; the slots are the IDs both
// hold. An error when they have no whole slot in common.
Result<SlotConfig> load_slot_config(const std::string& subuid_path = "/etc/subuid",
                                    const std::string& subgid_path = "/etc/subgid");

// A held slot. Releasing it (release(), or the destructor) drops this hold and then
// removes the lock file when nobody else holds it (the sandbox's PID 1 may, until it
// exits): the directory holds a file per slot in use, not one per slot ever used.
class IdSlot {
 public:
  IdSlot() = default;
  IdSlot(uint64_t base, UniqueFd lock, std::string lock_path)
      : base_(base), lock_(std::move(lock)), lock_path_(std::move(lock_path)) {}
  IdSlot(IdSlot&& o) noexcept
      : base_(o.base_), lock_(std::move(o.lock_)), lock_path_(std::exchange(o.lock_path_, {})) {}
  IdSlot& operator=(IdSlot&& o) noexcept;
  ~IdSlot() { release(); }
  uint64_t uid_base() const { return base_; }
  uint64_t gid_base() const { return base_; }
  // The lock's fd: a child that must keep the slot held after the supervisor dies keeps it.
  int lock_fd() const { return lock_.get(); }
  void release() noexcept;

 private:
  uint64_t base_ = 0;
  UniqueFd lock_;
  std::string lock_path_;
};

// Whether nobody holds the lock of the slot of this base (a momentary lock, released at
// once). Only the cordons that share the runtime directory are seen.
bool slot_is_free(const SlotConfig& config, uint64_t base);

// Takes the first slot whose lock is free, that is not in `skip` (slots found in use
// elsewhere) and that is not reserved, starting the scan at a random index to spread takers.
Result<IdSlot> take_slot(const SlotConfig& config, const std::set<uint64_t>& skip = {});
// Takes the slot of this base (an instance's, reserved for it): EBUSY (kSlotInUseStep) when
// another holds its lock; an error when base is not a slot of config.
Result<IdSlot> take_slot_at(const SlotConfig& config, uint64_t base);

// Reserves a free, unreserved slot for `owner` (a file created exclusively in
// reserved_dir; the directory is made 0700 if missing) and gives its base.
Result<uint64_t> reserve_slot(const SlotConfig& config, const std::string& owner);
// Drops the reservation of base (no error when there is none).
Status unreserve_slot(const SlotConfig& config, uint64_t base);
bool slot_is_reserved(const SlotConfig& config, uint64_t base);

}  // namespace cordon::isolate
