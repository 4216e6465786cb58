#include "launcher/netns_pool.h"

#include <sched.h>

#include "base/log.h"
#include "sys/net.h"
#include "sys/ns.h"
#include "sys/process.h"

namespace cordon::launcher {

Result<NetnsPool> NetnsPool::create(size_t target) {
  NetnsPool p;
  p.target_ = target;
  ASSIGN_OR_RETURN(p.home_, sys::open_ns(sys::self_pid(), "net"));
  return p;
}

Status NetnsPool::fill_one() {
  Status made = sys::unshare(CLONE_NEWNET);
  if (made.ok()) {
    auto fd = sys::open_ns(sys::self_pid(), "net");
    Status up = fd.ok() ? sys::loopback_up() : Status(fd.error());
    TRY(sys::set_ns(home_.get(), CLONE_NEWNET));
    if (up.ok()) {
      ready_.push_back(std::move(fd).value());
      return {};
    }
    made = up;
  }
  log(LogLevel::kWarn, "launcher: network namespace pool off: " + made.error().to_string());
  target_ = 0;
  return {};
}

UniqueFd NetnsPool::take() {
  if (ready_.empty()) return UniqueFd();
  UniqueFd fd = std::move(ready_.front());
  ready_.pop_front();
  return fd;
}

}  // namespace cordon::launcher
