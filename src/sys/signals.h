// Signal masks, dispositions and signalfds. Everything here but signal_fd is
// async-signal-safe and allocation-free on its success path: usable in a child between
// clone/fork and exec (isolate/child.cc, isolate/init.cc) and in a signal handler.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

// sigprocmask(2): how is SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK; the previous mask goes to
// *old when given. For a single-threaded process (a threaded one: block_in_thread).
Status set_signal_mask(int how, const sigset_t& set, sigset_t* old = nullptr) noexcept;
// pthread_sigmask(SIG_BLOCK): only the calling thread's mask; threads it starts later
// inherit it.
Status block_in_thread(const sigset_t& set) noexcept;

// signal(sig, SIG_DFL): the default action again (SIGKILL and SIGSTOP cannot change).
void set_default_action(int sig) noexcept;
// sigaction(2): sig's disposition becomes action; the previous one goes to *old.
Status set_signal_action(int sig, const struct sigaction& action,
                         struct sigaction* old = nullptr) noexcept;

// kill(2) for a signal handler: no allocation, no error value. False when it failed
// (errno set). Elsewhere, sys/process.h's kill_pid or pidfd_kill.
bool send_signal(pid_t pid, int sig) noexcept;

// signalfd(2) for set (which the caller blocks first). flags: SFD_CLOEXEC, SFD_NONBLOCK.
Result<UniqueFd> signal_fd(const sigset_t& set, int flags);
// One read(2) of a signalfd: true when a whole record came (false: none pending on a
// non-blocking fd, EOF or an error).
bool read_signal(int fd, signalfd_siginfo* si) noexcept;

// sigtimedwait(2): the number of a signal of set (blocked by the caller) that came within
// timeout_ms, or 0 when none did (or the wait was interrupted).
int wait_signal(const sigset_t& set, int timeout_ms) noexcept;

}  // namespace cordon::sys
