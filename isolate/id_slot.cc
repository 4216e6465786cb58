#include "isolate/id_slot.h"

#include <fcntl.h>
#include <sys/random.h>

#include <algorithm>

#include "plan/id_range.h"
#include "sys/fs.h"

namespace cordon::isolate {
namespace {

// Bases from one subid file: the "cordon" user's ranges win over root's; none → fallback.
std::vector<uint64_t> bases_from(const std::string& path, bool* fallback) {
  auto text = sys::read_small_file(path);
  std::vector<plan::IdRange> ranges;
  if (text.ok()) {
    ranges = plan::parse_subid(*text, {"cordon"});
    if (ranges.empty()) ranges = plan::parse_subid(*text, {"root", "0"});
  }
  auto bases = plan::slot_bases(ranges);
  *fallback = bases.empty();
  if (bases.empty()) bases = plan::slot_bases({{plan::kFallbackStart, plan::kFallbackCount}});
  return bases;
}

}  // namespace

Result<SlotConfig> load_slot_config(const std::string& subuid_path,
                                    const std::string& subgid_path) {
  SlotConfig c;
  c.uid_bases = bases_from(subuid_path, &c.uid_fallback);
  c.gid_bases = bases_from(subgid_path, &c.gid_fallback);
  return c;
}

Result<IdSlot> take_slot(const SlotConfig& config) {
  size_t n = std::min(config.uid_bases.size(), config.gid_bases.size());
  if (n == 0) return logic_error("take ID slot", "", "no host ID range configured");
  TRY(sys::make_dirs(config.lock_dir, 0700));
  uint32_t r = 0;
  if (::getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) r = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t idx = (r + i) % n;
    std::string path = config.lock_dir + "/slot-" + std::to_string(config.uid_bases[idx]);
    ASSIGN_OR_RETURN(UniqueFd fd, sys::open_path(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600));
    ASSIGN_OR_RETURN(bool taken, sys::try_lock(fd.get()));
    if (taken) return IdSlot(config.uid_bases[idx], config.gid_bases[idx], std::move(fd));
  }
  return logic_error("take ID slot", config.lock_dir,
                     "all " + std::to_string(n) + " slots are in use");
}

}  // namespace cordon::isolate
