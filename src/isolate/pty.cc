#include "isolate/pty.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "isolate/sync.h"
#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/process.h"
#include "sys/pty.h"
#include "sys/signals.h"

namespace cordon::isolate {
namespace {

constexpr size_t kInputChunk = 4096;

// Reads that never wait: a description of our own, opened anew with O_NONBLOCK (the
// caller's, which others may share, keeps its flags), for a pipe or a terminal; anything
// else (a regular file, /dev/null) never waits for a writer and is read as it is.
UniqueFd own_nonblocking_input(int fd) {
  auto status = sys::fd_status(fd);
  if (!status.ok()) return {};
  const struct stat& st = *status;
  // Not another character device: a new open of /dev/ptmx would make a new terminal,
  // one of /dev/tty the supervisor's own.
  bool terminal = S_ISCHR(st.st_mode) && sys::is_terminal(fd) && !sys::is_pty_master(fd) &&
                  st.st_rdev != makedev(5, 0);
  if (!S_ISFIFO(st.st_mode) && !terminal) return {};
  auto reopened =
      sys::open_path("/proc/self/fd/" + std::to_string(fd), O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!reopened.ok()) return {};
  return std::move(reopened).value();
}

}  // namespace

namespace {

// first: no code of the sandbox has run yet, so its devpts has no terminal but this one.
Status open_terminal(int sync_fd, uid_t uid, gid_t gid, bool first) {
  struct winsize size = {};
  size.ws_row = kDefaultTerminalRows;
  size.ws_col = kDefaultTerminalCols;
  // fd 0 is still the caller's stdin here (the last time the sandbox holds it).
  if (sys::is_terminal(STDIN_FILENO)) {
    auto caller = sys::window_size(STDIN_FILENO);
    if (caller.ok() && caller->ws_row != 0 && caller->ws_col != 0) size = *caller;
  }
  // The sandbox's /dev/ptmx: pts/ptmx of its own devpts instance.
  ASSIGN_OR_RETURN(UniqueFd master, sys::open_pty_master("/dev/ptmx"));
  // Fail closed unless it is that instance: its ptmx belongs to root inside (the host's
  // to the host's root, unmapped here), and for PID 1 nothing has opened a terminal on it
  // before (no code of the sandbox has run yet), so this one is number 0.
  ASSIGN_OR_RETURN(struct stat ptmx, sys::fd_status(master.get()));
  ASSIGN_OR_RETURN(unsigned number, sys::pty_number(master.get()));
  if (ptmx.st_uid != 0 || (first && number != 0))
    return logic_error("open pty master", "/dev/ptmx",
                       "not a terminal of the sandbox's own devpts instance (owner " +
                           std::to_string(ptmx.st_uid) + ", number " + std::to_string(number) +
                           ")");
  TRY(sys::set_window_size(master.get(), size));
  ASSIGN_OR_RETURN(UniqueFd slave, sys::open_pty_peer(master.get()));
  TRY(sys::set_terminal_owner(slave.get(), uid, gid));
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
    TRY(sys::dup_onto(slave.get(), fd, "terminal"));
  return send_phase(sync_fd, Phase::kTerminal, {master.get()});
}

}  // namespace

Status open_sandbox_terminal(int sync_fd, uid_t uid, gid_t gid) {
  return open_terminal(sync_fd, uid, gid, /*first=*/true);
}

Status open_exec_terminal(int sync_fd, uid_t uid, gid_t gid) {
  return open_terminal(sync_fd, uid, gid, /*first=*/false);
}

Status take_sandbox_terminal() noexcept {
  TRY(sys::new_session());
  return sys::make_controlling_terminal(STDIN_FILENO);
}

TerminalRelay::TerminalRelay(int in) : in_(in), caller_in_(in) {
  own_in_ = own_nonblocking_input(in);
  if (own_in_.valid()) in_ = own_in_.get();
  if (!sys::is_terminal(in)) return;
  auto attrs = sys::terminal_attrs(in);
  if (attrs.ok()) {
    struct termios raw = *attrs;
    ::cfmakeraw(&raw);
    if (sys::set_terminal_attrs(in, raw).ok()) saved_ = *attrs;
  }
  sigset_t winch;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  if (!sys::set_signal_mask(SIG_BLOCK, winch, &old_mask_).ok()) return;
  masked_ = true;
  auto fd = sys::signal_fd(winch, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd.ok()) winch_ = std::move(fd).value();
}

TerminalRelay::~TerminalRelay() {
  if (saved_) (void)sys::set_terminal_attrs(caller_in_, *saved_);
  winch_.reset();
  if (masked_) (void)sys::set_signal_mask(SIG_SETMASK, old_mask_);
}

void TerminalRelay::attach(UniqueFd master) {
  master_ = std::move(master);
  (void)sys::set_nonblocking(master_.get());
  copy_size();
}

int TerminalRelay::poll_fd() const {
  if (!master_.valid()) return -1;
  if (held_off_ < held_.size()) return master_.get();
  return in_open_ ? in_ : -1;
}

short TerminalRelay::poll_events() const {
  return held_off_ < held_.size() ? POLLOUT : POLLIN;
}

void TerminalRelay::on_ready() {
  if (held_off_ >= held_.size()) read_input();
  write_input();
}

void TerminalRelay::read_input() {
  char buf[kInputChunk];
  for (;;) {
    auto got = sys::read_fd(in_, buf, sizeof(buf));
    if (!got.ok() && got.error().err == EINTR) continue;
    if (!got.ok() && got.error().err == EAGAIN) return;
    if (!got.ok() || *got == 0) return end_of_input();  // EOF, a hangup, an error
    held_.assign(buf, *got);
    held_off_ = 0;
    return;
  }
}

// The end of a stdin that is no terminal (`cordon run -t -- sh < script`): the sandbox's
// terminal gets its end-of-file character, as typing it would send, while its line
// discipline is canonical (twice after a partial line: the first ends the line).
void TerminalRelay::end_of_input() {
  in_open_ = false;
  if (saved_ || !master_.valid()) return;
  auto attrs = sys::terminal_attrs(master_.get());
  if (!attrs.ok() || (attrs->c_lflag & ICANON) == 0) return;
  char eof = static_cast<char>(attrs->c_cc[VEOF]);
  held_.assign(last_ == '\n' ? 1 : 2, eof);
  held_off_ = 0;
}

void TerminalRelay::write_input() {
  while (held_off_ < held_.size()) {
    const char* p = held_.data() + held_off_;
    auto w = sys::write_fd(master_.get(), p, held_.size() - held_off_);
    if (!w.ok() && w.error().err == EINTR) continue;
    if (!w.ok() && w.error().err == EAGAIN) return;  // held until the terminal takes more
    if (!w.ok() || *w == 0) {
      // The terminal is gone (every slave closed): no more input for it.
      in_open_ = false;
      break;
    }
    last_ = p[*w - 1];
    held_off_ += *w;
  }
  held_.clear();
  held_off_ = 0;
}

void TerminalRelay::on_resize() {
  struct signalfd_siginfo si;
  while (sys::read_signal(winch_.get(), &si)) {
  }
  copy_size();
}

void TerminalRelay::copy_size() {
  if (!saved_ || !master_.valid()) return;
  auto size = sys::window_size(caller_in_);
  if (size.ok() && size->ws_row != 0 && size->ws_col != 0)
    (void)sys::set_window_size(master_.get(), *size);
}

}  // namespace cordon::isolate
