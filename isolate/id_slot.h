// ID slots: a 65,536-ID host range for UIDs and one for GIDs, held by one sandbox at a
// time. The hold is an flock on a per-slot file: the kernel drops it when the last
// holder dies, so a supervisor killed with SIGKILL leaks no slot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/id_range.h"

namespace cordon::isolate {

inline constexpr const char* kDefaultSlotDir = "/run/cordon/slots";

// Slot i is uids.base(i) for UIDs and gids.base(i) for GIDs; its lock file is named by
// the UID base.
struct SlotConfig {
  std::string lock_dir = kDefaultSlotDir;
  plan::SlotSpace uids{{}};
  plan::SlotSpace gids{{}};
  bool uid_fallback = false;  // no /etc/subuid entry: the documented fallback range
  bool gid_fallback = false;
};

// Reads /etc/subuid and /etc/subgid (entries for "cordon", else for "root"), with the
// fallback range of plan/id_range.h for a file without an entry.
Result<SlotConfig> load_slot_config(const std::string& subuid_path = "/etc/subuid",
                                    const std::string& subgid_path = "/etc/subgid");

class IdSlot {
 public:
  IdSlot() = default;
  IdSlot(uint64_t uid_base, uint64_t gid_base, UniqueFd lock)
      : uid_base_(uid_base), gid_base_(gid_base), lock_(std::move(lock)) {}
  uint64_t uid_base() const { return uid_base_; }
  uint64_t gid_base() const { return gid_base_; }
  // The lock's fd: a child that must keep the slot held after the supervisor dies keeps it.
  int lock_fd() const { return lock_.get(); }
  void release() { lock_.reset(); }

 private:
  uint64_t uid_base_ = 0;
  uint64_t gid_base_ = 0;
  UniqueFd lock_;
};

// Whether nobody holds the slot of this UID base (a momentary lock, released at once).
bool slot_is_free(const SlotConfig& config, uint64_t uid_base);

// Takes the first free slot, starting the scan at a random index to spread takers.
Result<IdSlot> take_slot(const SlotConfig& config);

}  // namespace cordon::isolate
