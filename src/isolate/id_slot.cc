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

// Whether the locked fd is the file at path: still linked, the same inode. Not so when its
// last holder unlinked it between our open and our lock.
bool is_file_at(int fd, const std::string& path) {
  auto held = sys::fd_status(fd);
  auto named = sys::path_status(path, false);
  return held.ok() && named.ok() && held->st_nlink > 0 && held->st_ino == named->st_ino &&
         held->st_dev == named->st_dev;
}

// Unlinks the lock file at path when nobody holds it, with its lock held: a taker that
// opened it meanwhile finds it unlinked once it gets the lock, and opens again. Held (by
// the sandbox's PID 1 until it exits, or by a new taker): left, for its holder to remove.
void remove_if_unheld(const std::string& path) {
  auto fd = sys::open_path(path, O_RDONLY | O_NOFOLLOW);
  if (!fd.ok()) return;
  auto taken = sys::try_lock(fd->get());
  if (!taken.ok() || !*taken) return;
  if (is_file_at(fd->get(), path)) (void)sys::unlink_path(path);
}

// The lock of the slot whose file is path, checked to be the file at path; nullopt when
// someone holds it. A file unlinked under us is opened again, a few times: a slot whose
// file keeps going is as good as in use.
Result<std::optional<UniqueFd>> lock_slot_file(const SlotConfig& config, const std::string& path) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto fd = sys::open_path(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
    if (!fd.ok() && fd.error().err == ENOENT) {
      // The first start on this host (or after a reboot cleared /run).
      TRY(sys::make_dirs(config.lock_dir, 0700));
      fd = sys::open_path(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
    }
    if (!fd.ok()) return std::move(fd).error();
    ASSIGN_OR_RETURN(bool taken, sys::try_lock(fd->get()));
    if (!taken) return std::optional<UniqueFd>();
    if (is_file_at(fd->get(), path)) return std::optional<UniqueFd>(std::move(*fd));
  }
  return std::optional<UniqueFd>();
}

}  // namespace

IdSlot& IdSlot::operator=(IdSlot&& o) noexcept {
  if (this != &o) {
    release();
    base_ = o.base_;
    lock_ = std::move(o.lock_);
    lock_path_ = std::exchange(o.lock_path_, {});
  }
  return *this;
}

void IdSlot::release() noexcept {
  if (!lock_.valid()) return;
  lock_.reset();
  if (!lock_path_.empty()) remove_if_unheld(lock_path_);
  lock_path_.clear();
}

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
  if (!fd.ok()) return fd.error().err == ENOENT;  // removed at its release, or never taken
  auto taken = sys::try_lock(fd->get());
  return taken.ok() && *taken;  // the lock goes with the fd
}

bool slot_is_reserved(const SlotConfig& config, uint64_t base) {
  if (config.reserved_dir.empty()) return false;
  auto st = sys::path_status(config.reserved_dir + "/" + std::to_string(base), false);
  return st.ok() || st.error().err != ENOENT;  // unreadable: reserved, to be safe
}

Result<IdSlot> take_slot_at(const SlotConfig& config, uint64_t base) {
  bool known = false;
  for (size_t i = 0; i < config.slots.size() && !known; ++i) known = config.slots.base(i) == base;
  if (!known)
    return logic_error("take ID slot", std::to_string(base),
                       "not a slot of cordon's ID ranges (/etc/subuid, /etc/subgid)");
  std::string path = lock_path(config, base);
  ASSIGN_OR_RETURN(std::optional<UniqueFd> fd, lock_slot_file(config, path));
  if (!fd)
    return Error{EBUSY, kSlotInUseStep, std::to_string(base), "another sandbox holds this slot"};
  return IdSlot(base, std::move(*fd), std::move(path));
}

Result<uint64_t> reserve_slot(const SlotConfig& config, const std::string& owner) {
  size_t n = config.slots.size();
  if (n == 0) return logic_error("reserve ID slot", "", "no host ID range configured");
  TRY(sys::make_dirs(config.reserved_dir, 0700));
  uint32_t r = 0;
  if (!sys::random_fill_nonblocking(&r, sizeof(r))) r = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t base = config.slots.base((r + i) % n);
    if (slot_is_reserved(config, base)) continue;
    // Written while holding the slot's lock: a taker that locked it first runs its sandbox
    // and we try another; one that locks it after sees the reservation (take_slot checks
    // again, lock in hand).
    std::string lock = lock_path(config, base);
    ASSIGN_OR_RETURN(std::optional<UniqueFd> held, lock_slot_file(config, lock));
    if (!held) continue;
    IdSlot slot(base, std::move(*held), lock);  // released (and its file removed) below
    std::string path = config.reserved_dir + "/" + std::to_string(base);
    Status made = sys::write_new_file(path, owner + "\n", 0600);
    if (made.ok()) return base;
    if (made.error().err != EEXIST) return std::move(made).error();
  }
  return logic_error("reserve ID slot", config.reserved_dir,
                     "no free slot among " + std::to_string(n));
}

Status unreserve_slot(const SlotConfig& config, uint64_t base) {
  Status st = sys::unlink_path(config.reserved_dir + "/" + std::to_string(base));
  if (!st.ok() && st.error().err != ENOENT) return st;
  return {};
}

Result<IdSlot> take_slot(const SlotConfig& config, const std::set<uint64_t>& skip) {
  size_t n = config.slots.size();
  if (n == 0) return logic_error("take ID slot", "", "no host ID range configured");
  uint32_t r = 0;
  if (!sys::random_fill_nonblocking(&r, sizeof(r))) r = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t base = config.slots.base((r + i) % n);
    if (skip.count(base) || slot_is_reserved(config, base)) continue;
    std::string path = lock_path(config, base);
    ASSIGN_OR_RETURN(std::optional<UniqueFd> fd, lock_slot_file(config, path));
    if (!fd) continue;
    IdSlot slot(base, std::move(*fd), std::move(path));
    // Reserved between the first look and the lock: the instance's, not ours.
    if (slot_is_reserved(config, base)) continue;
    return slot;
  }
  return logic_error("take ID slot", config.lock_dir,
                     "all " + std::to_string(n) + " slots are in use");
}

}  // namespace cordon::isolate
