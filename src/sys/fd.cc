#include "sys/fd.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

namespace cordon::sys {

Result<size_t> read_fd(int fd, void* buf, size_t len) noexcept {
  ssize_t n = ::read(fd, buf, len);
  if (n < 0) return sys_error("read");
  return static_cast<size_t>(n);
}

Result<size_t> write_fd(int fd, const void* data, size_t len) noexcept {
  ssize_t n = ::write(fd, data, len);
  if (n < 0) return sys_error("write");
  return static_cast<size_t>(n);
}

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe");
  return std::make_pair(UniqueFd(p[0]), UniqueFd(p[1]));
}

Status dup_onto(int fd, int target, const char* what) noexcept {
  if (::dup2(fd, target) < 0) return sys_error("dup2", what);
  return {};
}

void close_fd(int fd) noexcept {
  ::close(fd);
}

Result<int> fd_status_flags(int fd) noexcept {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return sys_error("fcntl F_GETFL");
  return flags;
}

Status set_nonblocking(int fd) noexcept {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return sys_error("fcntl F_GETFL");
  if (::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return sys_error("fcntl F_SETFL");
  return {};
}

Result<int> poll_fds(struct pollfd* fds, size_t count, int timeout_ms) noexcept {
  int n = ::poll(fds, static_cast<nfds_t>(count), timeout_ms);
  if (n < 0) return sys_error("poll");
  return n;
}

bool is_terminal(int fd) noexcept {
  return ::isatty(fd) == 1;
}

bool is_pty_master(int fd) noexcept {
  int ptn = 0;
  return ::ioctl(fd, TIOCGPTN, &ptn) == 0;
}

Result<UniqueFd> memory_file(const char* name) {
  UniqueFd fd(::memfd_create(name, MFD_CLOEXEC));
  if (!fd.valid()) return sys_error("memfd_create", name);
  return fd;
}

}  // namespace cordon::sys
