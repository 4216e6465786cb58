// The caller's termination signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) during a run. They
// are blocked from the very start of a run and read from a signalfd, so that a Ctrl-C
// while the sandbox is being set up cannot kill the supervisor before it has removed
// what it made; once the sandbox runs they are forwarded to its PID 1.
#pragma once

#include <signal.h>

#include "base/unique_fd.h"

namespace cordon::isolate {

class SignalForwarder {
 public:
  SignalForwarder();
  ~SignalForwarder();  // restores the signal mask
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;

  int fd() const { return fd_.get(); }
  // Forwards every pending signal to the process of pidfd.
  void forward_to(int pidfd);
  // A prestarted sandbox's signals from before it had a command: those the kernel raised
  // (the caller hanging up) or the parent sent (the launcher stopping) are forwarded to
  // the process of pidfd; strays from anyone else were meant for no command: dropped.
  void forward_meant_or_drop(int pidfd);
  // Reads every pending signal without forwarding it; true when there was one (--boot:
  // the supervisor turns it into a stop of the init).
  bool drain();

 private:
  sigset_t old_;
  UniqueFd fd_;
};

}  // namespace cordon::isolate
