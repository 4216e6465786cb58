#include "isolate/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace cordon::isolate {
namespace {

// Writes all of buf; a destination that went away (EPIPE) drops the rest silently, as a
// closed terminal would.
void write_all(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    buf += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

OutputPump::OutputPump(UniqueFd out, UniqueFd err, int out_dest, int err_dest, uint64_t limit)
    : out_(std::move(out)),
      err_(std::move(err)),
      out_dest_(out_dest),
      err_dest_(err_dest),
      limit_(limit) {
  for (int fd : {out_.get(), err_.get()}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

Status OutputPump::pump(int fd) {
  UniqueFd& src = fd == out_.get() ? out_ : err_;
  int dest = fd == out_.get() ? out_dest_ : err_dest_;
  char buf[65536];
  // A bounded number of reads per call, so a flood cannot starve the supervisor's other
  // duties (time limits, the sync socket).
  for (int i = 0; i < 16; ++i) {
    ssize_t n = ::read(src.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return {};
      return sys_error("read", "sandbox output");
    }
    if (n == 0) {
      src.reset();
      return {};
    }
    // Past the limit the data is still drained (so writers are not stuck) but dropped.
    uint64_t allowed = std::min<uint64_t>(static_cast<uint64_t>(n), limit_ - bytes_);
    write_all(dest, buf, allowed);
    bytes_ += allowed;
    if (allowed < static_cast<uint64_t>(n)) over_ = true;
  }
  return {};
}

}  // namespace cordon::isolate
