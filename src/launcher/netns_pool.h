// Fresh network namespaces made ahead, off the critical path of a start: making one
// costs about 0.5 ms, more than every other namespace of a sandbox together. Each has
// only loopback, up; each is handed out once and the pool forgets it, so no state can
// pass from one sandbox to the next. They are owned by the host's user namespace: a
// sandbox gets no capability over its network namespace at all (it cannot add
// interfaces, routes or firewall rules, or change net sysctls).
#pragma once

#include <cstddef>
#include <deque>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::launcher {

class NetnsPool {
 public:
  // target: how many to keep ready (0: none; sandboxes make their own).
  static Result<NetnsPool> create(size_t target);

  bool wants_more() const { return ready_.size() < target_; }
  // Makes one namespace and returns to ours. Only a failure to come back is returned,
  // and it is fatal to the caller: it must not go on serving from inside a sandbox's
  // namespace. Any other failure (a namespace limit, memory) is logged once and turns
  // the pool off; sandboxes then make their own namespaces.
  Status fill_one();
  // One namespace, never handed out before; invalid if none is ready.
  UniqueFd take();
  size_t ready() const { return ready_.size(); }

 private:
  size_t target_ = 0;
  UniqueFd home_;  // our own network namespace
  std::deque<UniqueFd> ready_;
};

}  // namespace cordon::launcher
