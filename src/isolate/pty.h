// `cordon run -t`: the command's terminal. Both halves of it:
//
// Inside, PID 1 makes a pseudo-terminal on the sandbox's own devpts instance (/dev/pts,
// mounted newinstance by every mount plan, /dev/ptmx -> pts/ptmx), never on the host's:
// the command sees /dev/pts/0, its slave is owned by the sandbox's user, and nothing of
// the host's terminals is reachable through it. PID 1 passes the master to the supervisor
// over the sync socket (Phase::kTerminal) before the command is forked; the command's
// process makes a session of its own with the slave as its controlling terminal, so that
// job control works and the terminal's signals (Ctrl-C, Ctrl-Z) reach its foreground
// process group inside, not PID 1 and not cordon.
//
// Outside, the supervisor relays: the caller's stdin to the master (TerminalRelay), the
// master to the caller's stdout (OutputPump, under the output limit, as stdout). Neither
// direction ever blocks the supervisor. When the caller's stdin is a terminal, it is put
// in raw mode for the run (so Ctrl-C is a byte for the sandbox's terminal, not a SIGINT
// for cordon) and restored when the relay ends, whichever way the run ended; its window
// size is the sandbox terminal's and follows its changes (SIGWINCH).
#pragma once

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::isolate {

// The size of a sandbox's terminal when the caller's stdin is no terminal.
inline constexpr unsigned short kDefaultTerminalRows = 24;
inline constexpr unsigned short kDefaultTerminalCols = 80;

// PID 1, after its mounts and before it drops its privileges: the pseudo-terminal of
// /dev/ptmx, sized as the caller's terminal on fd 0 (the default size when fd 0 is no
// terminal), its slave owned by uid:gid (inside) and put on fds 0, 1 and 2 (in place of
// the caller's stdin and the output pipes: the sandbox keeps nothing of the caller's
// terminal), its master sent on sync_fd.
Status open_sandbox_terminal(int sync_fd, uid_t uid, gid_t gid);
// The same for a process entering a running sandbox (`cordon exec -t`, isolate/enter.h),
// after it joined the sandbox's user and mount namespaces: a new terminal of the
// sandbox's devpts (whose ptmx must belong to root inside), whatever its number.
Status open_exec_terminal(int sync_fd, uid_t uid, gid_t gid);

// The command's process, between fork and exec: a new session whose controlling terminal
// is the slave on fd 0, with the process's group in the foreground.
Status take_sandbox_terminal() noexcept;

// The supervisor's side: the caller's stdin into the sandbox's terminal, and the caller's
// window size onto it.
class TerminalRelay {
 public:
  // in: the caller's stdin. A terminal is put in raw mode until the relay is destroyed.
  explicit TerminalRelay(int in);
  ~TerminalRelay();  // restores the caller's terminal settings and the signal mask
  TerminalRelay(const TerminalRelay&) = delete;
  TerminalRelay& operator=(const TerminalRelay&) = delete;

  // The master, as PID 1 sent it: input goes to it from now on, and the caller's window
  // size is copied onto it (the size may have changed since PID 1 read it).
  void attach(UniqueFd master);

  // What to poll for the input: the caller's stdin for POLLIN while nothing of it is
  // held, the master for POLLOUT while something is; -1 before attach and once done.
  int poll_fd() const;
  short poll_events() const;
  // Moves what it can after poll said poll_fd() is ready.
  void on_ready();

  // A signalfd for SIGWINCH (-1 when the caller's stdin is no terminal), and what to do
  // when it is readable: the caller's new size onto the master.
  int resize_fd() const { return winch_.get(); }
  void on_resize();

 private:
  void read_input();
  void write_input();
  void end_of_input();
  void copy_size();

  int in_ = -1;         // where input is read: the caller's stdin, or own_in_
  UniqueFd own_in_;     // a non-blocking description of the caller's stdin
  int caller_in_ = -1;  // the caller's stdin as given (its termios and window size)
  bool in_open_ = true;
  std::optional<struct termios> saved_;  // the caller's settings, restored at the end
  UniqueFd master_;
  std::string held_;  // read from the caller, not yet taken by the master
  size_t held_off_ = 0;
  char last_ = '\n';  // the last byte the master took
  bool masked_ = false;
  sigset_t old_mask_;
  UniqueFd winch_;
};

}  // namespace cordon::isolate
