#include "isolate/output.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/signals.h"
#include "sys/socket.h"

namespace cordon::isolate {
namespace {

constexpr size_t kChunk = 65536;

// A destination writes that never wait: a description of our own, opened anew with
// O_NONBLOCK (so the caller's, which others may share, keeps its flags), for pipes and
// terminals; a socket takes MSG_DONTWAIT per send. Regular files and the like never wait
// for a reader: written as they are. When no description of our own can be had (a pipe
// with no reader left, a terminal we may not open), the caller's is used as it is.
void open_destination(int fd, UniqueFd* own, int* dest, bool* socket) {
  *dest = fd;
  if (fd < 0) return;
  auto status = sys::fd_status(fd);
  if (!status.ok()) return;
  const struct stat& st = *status;
  if (S_ISSOCK(st.st_mode)) {
    *socket = true;
    return;
  }
  auto got = sys::fd_status_flags(fd);
  int flags = got.ok() ? *got : -1;
  if (flags < 0 || (flags & O_NONBLOCK) != 0 || (flags & O_ACCMODE) == O_RDONLY ||
      (flags & O_PATH) != 0)
    return;  // already non-blocking, or not ours to write (its writes fail: dropped)
  // A pipe, or a terminal's own device. Not another character device: a new open of
  // /dev/ptmx would make a new terminal, one of /dev/tty the supervisor's own.
  bool terminal = S_ISCHR(st.st_mode) && sys::is_terminal(fd) && !sys::is_pty_master(fd) &&
                  st.st_rdev != makedev(5, 0);
  if (!S_ISFIFO(st.st_mode) && !terminal) return;
  auto reopened =
      sys::open_path("/proc/self/fd/" + std::to_string(fd), O_WRONLY | O_NONBLOCK | O_NOCTTY);
  if (!reopened.ok()) return;
  *own = std::move(reopened).value();
  *dest = own->get();
}

}  // namespace

OutputPump::OutputPump(UniqueFd out, UniqueFd err, int out_dest, int err_dest, uint64_t limit)
    : limit_(limit) {
  // A reader that went away is an EPIPE to handle, not a SIGPIPE that would kill the
  // supervisor and leave its sandbox to the parent-death signal, without a result.
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  (void)sys::set_signal_action(SIGPIPE, ignore, &old_sigpipe_);
  ch_[kOut].src = std::move(out);
  ch_[kErr].src = std::move(err);
  int dests[2] = {out_dest, err_dest};
  for (int i : {kOut, kErr}) {
    Channel& c = ch_[i];
    (void)sys::set_nonblocking(c.src.get());
    open_destination(dests[i], &c.own_dest, &c.dest, &c.dest_socket);
  }
}

OutputPump::~OutputPump() {
  (void)sys::set_signal_action(SIGPIPE, old_sigpipe_);
}

void OutputPump::set_source(Stream s, UniqueFd src) {
  Channel& c = ch_[s];
  c.src = std::move(src);
  (void)sys::set_nonblocking(c.src.get());
}

int OutputPump::poll_fd(Stream s) const {
  const Channel& c = ch_[s];
  return c.held.empty() ? c.src.get() : c.dest;
}

short OutputPump::poll_events(Stream s) const {
  return ch_[s].held.empty() ? POLLIN : POLLOUT;
}

bool OutputPump::holding() const {
  return !ch_[kOut].held.empty() || !ch_[kErr].held.empty();
}

bool OutputPump::open() const {
  return ch_[kOut].src.valid() || ch_[kErr].src.valid() || holding();
}

void OutputPump::drop_held() {
  for (Channel& c : ch_) {
    dropped_ += c.held.size() - c.held_off;
    c.held.clear();
    c.held_off = 0;
  }
}

Status OutputPump::on_ready(Stream s) {
  Channel& c = ch_[s];
  if (!c.held.empty()) {
    write_some(c);
    return {};
  }
  // A bounded number of reads per call, so that a flood cannot starve the supervisor's
  // other duties (time limits, the sync socket); each stops when the destination does.
  for (int i = 0; i < 16 && c.src.valid() && c.held.empty(); ++i) {
    size_t before = bytes_;
    TRY(read_some(c));
    if (bytes_ == before && c.held.empty()) break;  // nothing more to read now
    write_some(c);
  }
  return {};
}

Status OutputPump::read_some(Channel& c) {
  char buf[kChunk];
  for (;;) {
    auto got = sys::read_fd(c.src.get(), buf, sizeof(buf));
    if (!got.ok()) {
      if (got.error().err == EINTR) continue;
      if (got.error().err == EAGAIN) return {};
      // A terminal's master reads EIO once its last slave is closed: the end.
      if (got.error().err == EIO) {
        c.src.reset();
        return {};
      }
      return errno_error(got.error().err, "read", "sandbox output");
    }
    size_t n = *got;
    if (n == 0) {
      c.src.reset();
      return {};
    }
    // Past the limit the data is still drained (so writers are not stuck) but dropped.
    uint64_t allowed = std::min<uint64_t>(n, limit_ - bytes_);
    if (allowed < n) over_ = true;
    bytes_ += allowed;
    c.held.assign(buf, allowed);
    c.held_off = 0;
    return {};
  }
}

void OutputPump::write_some(Channel& c) {
  while (c.held_off < c.held.size()) {
    const char* p = c.held.data() + c.held_off;
    size_t n = c.held.size() - c.held_off;
    Result<size_t> w = c.dest_socket ? sys::send_nowait(c.dest, p, n) : sys::write_fd(c.dest, p, n);
    if (w.ok() && *w == 0) return;  // took nothing: as EAGAIN, held until POLLOUT
    if (!w.ok()) {
      if (w.error().err == EINTR) continue;
      if (w.error().err == EAGAIN) return;  // held until the destination takes more
      // Gone (EPIPE, a hung-up terminal, ...): drop the rest silently, and close the
      // source so that the sandbox learns it on its next write.
      c.src.reset();
      dropped_ += n;
      break;
    }
    if (*w > 0) c.last = p[*w - 1];
    c.held_off += *w;
  }
  c.held.clear();
  c.held_off = 0;
}

}  // namespace cordon::isolate
