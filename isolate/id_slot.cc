#include "isolate/id_slot.h"

#include <fcntl.h>
#include <sys/random.h>

#include <algorithm>

#include "plan/id_range.h"
#include "sys/fs.h"

namespace cordon::isolate {
namespace {

// Slots from one subid file: the "cordon" user's ranges, else the fallback. Never root's:
// other tools that run containers as root (LXC, LXD, Incus) map root's ranges, and a
// slot's IDs must belong to one sandbox alone.
plan::SlotSpace slots_from(const std::string& path, bool* fallback) {
  auto text = sys::read_small_file(path);
  std::vector<plan::IdRange> ranges;
  if (text.ok()) {
    ranges = plan::parse_subid(*text, {"cordon"});
  }
  plan::SlotSpace space(ranges);
  *fallback = space.size() == 0;
  if (*fallback) return plan::SlotSpace({{plan::kFallbackStart, plan::kFallbackCount}});
  return space;
}

}  // namespace

Result<SlotConfig> load_slot_config(const std::string& subuid_path,
                                    const std::string& subgid_path) {
  SlotConfig c;
  c.uids = slots_from(subuid_path, &c.uid_fallback);
  c.gids = slots_from(subgid_path, &c.gid_fallback);
  return c;
}

bool slot_is_free(const SlotConfig& config, uint64_t uid_base) {
  std::string path = config.lock_dir + "/slot-" + std::to_string(uid_base);
  auto fd = sys::open_path(path, O_RDONLY | O_NOFOLLOW);
  if (!fd.ok()) return fd.error().err == ENOENT;  // never taken on this boot
  auto taken = sys::try_lock(fd->get());
  return taken.ok() && *taken;  // the lock goes with the fd
}

Result<IdSlot> take_slot(const SlotConfig& config) {
  size_t n = std::min(config.uids.size(), config.gids.size());
  if (n == 0) return logic_error("take ID slot", "", "no host ID range configured");
  uint32_t r = 0;
  if (::getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) r = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t idx = (r + i) % n;
    uint64_t uid_base = config.uids.base(idx);
    std::string path = config.lock_dir + "/slot-" + std::to_string(uid_base);
    auto fd = sys::open_path(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
    if (!fd.ok() && fd.error().err == ENOENT) {
      // The first start on this host (or after a reboot cleared /run).
      TRY(sys::make_dirs(config.lock_dir, 0700));
      fd = sys::open_path(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
    }
    if (!fd.ok()) return std::move(fd).error();
    ASSIGN_OR_RETURN(bool taken, sys::try_lock(fd->get()));
    if (taken) return IdSlot(uid_base, config.gids.base(idx), std::move(*fd));
  }
  return logic_error("take ID slot", config.lock_dir,
                     "all " + std::to_string(n) + " slots are in use");
}

}  // namespace cordon::isolate
