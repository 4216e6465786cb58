#include "isolate/id_slot.h"

#include <fcntl.h>
#include <sys/random.h>

#include "plan/id_range.h"
#include "sys/fs.h"
#include "sys/random.h"

namespace cordon::isolate {
namespace {

// The ranges of one subid file: the "cordon" user's, else the fallback. Never root's:
// other tools that run containers as root (LXC, LXD, Incus) map root's ranges, and a
// slot's IDs must belong to one sandbox alone.
std::vector<plan::IdRange> ranges_from(const std::string& path, bool* fallback) {
  auto text = sys::read_small_file(path);
  std::vector<plan::IdRange> ranges;
  if (text.ok()) ranges = plan::parse_subid(*text, {"cordon"});
  *fallback = plan::SlotSpace(ranges).size() == 0;
  if (*fallback) return {{plan::kFallbackStart, plan::kFallbackCount}};
  return ranges;
}

std::string lock_path(const SlotConfig& config, uint64_t base) {
  return config.lock_dir + "/slot-" + std::to_string(base);
}

}  // namespace

Result<SlotConfig> load_slot_config(const std::string& subuid_path,
                                    const std::string& subgid_path) {
  SlotConfig c;
  auto uids = ranges_from(subuid_path, &c.uid_fallback);
  auto gids = ranges_from(subgid_path, &c.gid_fallback);
  c.slots = plan::SlotSpace(plan::intersect(uids, gids));
  if (c.slots.size() == 0)
    return logic_error("ID slots", subuid_path + " and " + subgid_path,
                       "cordon's UID and GID ranges have no whole slot of 65536 IDs in common "
                       "(a slot is the same numbers as UIDs and GIDs): give the cordon user the "
                       "same range in both files");
  return c;
}

bool slot_is_free(const SlotConfig& config, uint64_t base) {
  auto fd = sys::open_path(lock_path(config, base), O_RDONLY | O_NOFOLLOW);
  if (!fd.ok()) return fd.error().err == ENOENT;  // never taken on this boot
  auto taken = sys::try_lock(fd->get());
  return taken.ok() && *taken;  // the lock goes with the fd
}

Result<IdSlot> take_slot(const SlotConfig& config, const std::set<uint64_t>& skip) {
  size_t n = config.slots.size();
  if (n == 0) return logic_error("take ID slot", "", "no host ID range configured");
  uint32_t r = 0;
  if (!sys::random_fill_nonblocking(&r, sizeof(r))) r = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t base = config.slots.base((r + i) % n);
    if (skip.count(base)) continue;
    std::string path = lock_path(config, base);
    auto fd = sys::open_path(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
    if (!fd.ok() && fd.error().err == ENOENT) {
      // The first start on this host (or after a reboot cleared /run).
      TRY(sys::make_dirs(config.lock_dir, 0700));
      fd = sys::open_path(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
    }
    if (!fd.ok()) return std::move(fd).error();
    ASSIGN_OR_RETURN(bool taken, sys::try_lock(fd->get()));
    if (taken) return IdSlot(base, std::move(*fd));
  }
  return logic_error("take ID slot", config.lock_dir,
                     "all " + std::to_string(n) + " slots are in use");
}

}  // namespace cordon::isolate
