// terminal: push input into a terminal (TIOCSTI, CVE-2017-5226 in bubblewrap; TIOCLINUX
// on a virtual console). The sandbox runs in a session of its own (setsid: no controlling
// terminal) and the filter denies both ioctls. Each ioctl is made with a NULL buffer: the
// kernel checks its permissions first and reads the buffer last, so a call that is
// allowed fails with EFAULT and never pushes a byte.
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <sstream>

#include "battery.h"

namespace audit {
namespace {

std::string fd_kind(int fd) {
  if (::isatty(fd)) return "a terminal";
  return errno == EBADF ? "closed" : "not a terminal";
}

// EFAULT (or success): the permission checks passed.
Outcome judge_ioctl(long r, int err, const std::string& what) {
  if (r == 0) return escaped(what + " succeeded");
  switch (err) {
    case EPERM:
      return stopped("EPERM");
    case EIO:
      return stopped("EIO (legacy TIOCSTI disabled)");
    case ENOTTY:
      return stopped("ENOTTY (not a terminal)");
    case EINVAL:
      return stopped("EINVAL (not a virtual console)");
    case EBADF:
      return stopped("EBADF (fd closed)");
    case EFAULT:
      return escaped("EFAULT: " + what +
                     " passed its permission checks (NULL buffer: nothing pushed)");
    default:
      return escaped(err_name(err) + " from " + what);
  }
}

Outcome tiocsti_on(int fd, unsigned long cmd, const std::string& what) {
  std::string kind = fd_kind(fd);
  errno = 0;
  long r = ::syscall(SYS_ioctl, fd, cmd, nullptr);
  Outcome o = judge_ioctl(r, errno, what);
  o.evidence += "; fd " + std::to_string(fd) + " is " + kind;
  return o;
}

Outcome tiocsti0(const Context&) {
  return tiocsti_on(0, TIOCSTI, "TIOCSTI");
}
Outcome tiocsti1(const Context&) {
  return tiocsti_on(1, TIOCSTI, "TIOCSTI");
}
Outcome tiocsti2(const Context&) {
  return tiocsti_on(2, TIOCSTI, "TIOCSTI");
}
// The upper half of the command is ignored by the kernel (CVE-2019-10063).
Outcome tiocsti_high_bits(const Context&) {
  return tiocsti_on(0, (1UL << 32) | TIOCSTI, "TIOCSTI|1<<32");
}
Outcome tioclinux0(const Context&) {
  return tiocsti_on(0, TIOCLINUX, "TIOCLINUX");
}

// /dev/tty opens only with a controlling terminal; the sandbox has none.
Outcome controlling_tty(const Context&) {
  std::string tty_nr = "?";
  if (auto s = read_text("/proc/self/stat")) {
    size_t paren = s->rfind(')');
    if (paren != std::string::npos) {
      std::istringstream in(s->substr(paren + 2));
      std::string f;
      // state ppid pgrp session tty_nr
      for (int i = 0; i < 5 && (in >> f); ++i) {
      }
      tty_nr = f;
    }
  }
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return stopped("/dev/tty " + err_name(errno) + "; tty_nr " + tty_nr);
  errno = 0;
  long r = ::syscall(SYS_ioctl, fd, TIOCSTI, nullptr);
  int e = errno;
  ::close(fd);
  Outcome o = judge_ioctl(r, e, "TIOCSTI on /dev/tty");
  std::string ev = "/dev/tty opened (a controlling terminal, tty_nr " + tty_nr + "); " + o.evidence;
  return escaped(ev);
}

}  // namespace

const Category& terminal_category() {
  static const Category c = {
      "terminal",
      false,
      {
          {"tiocsti-fd0", "ioctl(0, TIOCSTI) with a NULL buffer", tiocsti0},
          {"tiocsti-fd1", "ioctl(1, TIOCSTI) with a NULL buffer", tiocsti1},
          {"tiocsti-fd2", "ioctl(2, TIOCSTI) with a NULL buffer", tiocsti2},
          {"tiocsti-high-bits", "ioctl(0, TIOCSTI | 1<<32)", tiocsti_high_bits},
          {"tioclinux-fd0", "ioctl(0, TIOCLINUX) with a NULL buffer", tioclinux0},
          {"controlling-tty", "open /dev/tty (a controlling terminal)", controlling_tty},
      },
  };
  return c;
}

}  // namespace audit
