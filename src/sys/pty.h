// Pseudo-terminals and terminal settings: the calls `cordon run -t` makes on the
// sandbox's pseudo-terminal (inside) and on the caller's terminal (outside). Every call
// is one ioctl(2), allocation-free on success: usable between vfork and exec.
#pragma once

#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

// open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC) and unlockpt (TIOCSPTLCK 0): the master of a
// new pseudo-terminal of the devpts instance ptmx belongs to.
Result<UniqueFd> open_pty_master(const char* ptmx);
// ioctl(TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC): the master's slave, opened through
// the master (no path lookup, so it is the slave of that devpts instance whatever the
// filesystem shows).
Result<UniqueFd> open_pty_peer(int master) noexcept;
// ioctl(TIOCGPTN): the number of a master's terminal in its devpts instance.
Result<unsigned> pty_number(int master) noexcept;
// fchown(2) of a terminal (the slave, to the user who will use it).
Status set_terminal_owner(int fd, uid_t uid, gid_t gid) noexcept;
// ioctl(TIOCSCTTY, 0): fd's terminal becomes the caller's (a session leader's)
// controlling terminal, and the caller's process group its foreground group.
Status make_controlling_terminal(int fd) noexcept;

// ioctl(TIOCGWINSZ) and ioctl(TIOCSWINSZ). Setting a new size sends SIGWINCH to the
// terminal's foreground process group.
Result<struct winsize> window_size(int fd) noexcept;
Status set_window_size(int fd, const struct winsize& size) noexcept;

// tcgetattr(3) and tcsetattr(3) with TCSANOW (which never waits for output to drain: a
// stopped terminal cannot hold the caller).
Result<struct termios> terminal_attrs(int fd) noexcept;
Status set_terminal_attrs(int fd, const struct termios& attrs) noexcept;

// fcntl(F_DUPFD_CLOEXEC): another fd of the same open file description.
Result<UniqueFd> duplicate_fd(int fd) noexcept;

}  // namespace cordon::sys
