#include "sys/pty.h"

#include <fcntl.h>
#include <unistd.h>

namespace cordon::sys {

Result<UniqueFd> open_pty_master(const char* ptmx) {
  UniqueFd fd(::open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open pty master", ptmx);
  int unlock = 0;
  if (::ioctl(fd.get(), TIOCSPTLCK, &unlock) != 0) return sys_error("unlockpt", ptmx);
  return fd;
}

Result<UniqueFd> open_pty_peer(int master) noexcept {
  UniqueFd fd(::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open pty slave (TIOCGPTPEER)");
  return fd;
}

Result<unsigned> pty_number(int master) noexcept {
  unsigned n = 0;
  if (::ioctl(master, TIOCGPTN, &n) != 0) return sys_error("TIOCGPTN");
  return n;
}

Status set_terminal_owner(int fd, uid_t uid, gid_t gid) noexcept {
  if (::fchown(fd, uid, gid) != 0) return sys_error("fchown", "pty slave");
  return {};
}

Status make_controlling_terminal(int fd) noexcept {
  if (::ioctl(fd, TIOCSCTTY, 0) != 0) return sys_error("TIOCSCTTY", "pty slave");
  return {};
}

Result<struct winsize> window_size(int fd) noexcept {
  struct winsize ws = {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return sys_error("TIOCGWINSZ");
  return ws;
}

Status set_window_size(int fd, const struct winsize& size) noexcept {
  if (::ioctl(fd, TIOCSWINSZ, &size) != 0) return sys_error("TIOCSWINSZ");
  return {};
}

Result<struct termios> terminal_attrs(int fd) noexcept {
  struct termios t = {};
  if (::tcgetattr(fd, &t) != 0) return sys_error("tcgetattr");
  return t;
}

Status set_terminal_attrs(int fd, const struct termios& attrs) noexcept {
  if (::tcsetattr(fd, TCSANOW, &attrs) != 0) return sys_error("tcsetattr");
  return {};
}

Result<UniqueFd> duplicate_fd(int fd) noexcept {
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy.valid()) return sys_error("fcntl F_DUPFD_CLOEXEC");
  return copy;
}

}  // namespace cordon::sys
