#include "isolate/signals.h"

#include <cstring>
#include <string>

#include "base/log.h"
#include "sys/process.h"
#include "sys/signals.h"

namespace cordon::isolate {
namespace {
constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
}

SignalForwarder::SignalForwarder() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwardedSignals) sigaddset(&set, s);
  (void)sys::set_signal_mask(SIG_BLOCK, set, &old_);
  auto fd = sys::signal_fd(set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd.ok()) fd_ = std::move(fd).value();
}

SignalForwarder::~SignalForwarder() {
  fd_.reset();
  (void)sys::set_signal_mask(SIG_SETMASK, old_);
}

void SignalForwarder::forward_to(int pidfd) {
  struct signalfd_siginfo si;
  while (sys::read_signal(fd_.get(), &si)) {
    // Said once per signal, with its sender: a sandbox that ends by a signal nobody
    // meant to send is otherwise a mystery.
    log(LogLevel::kWarn, std::string("forwarding ") + sigabbrev_np(static_cast<int>(si.ssi_signo)) +
                             " from pid " + std::to_string(si.ssi_pid) + " to the sandbox");
    (void)sys::pidfd_kill(pidfd, static_cast<int>(si.ssi_signo));
  }
}

bool SignalForwarder::drain() {
  struct signalfd_siginfo si;
  bool any = false;
  while (sys::read_signal(fd_.get(), &si)) {
    log(LogLevel::kWarn, std::string("stopping the sandbox's init on ") +
                             sigabbrev_np(static_cast<int>(si.ssi_signo)) + " from pid " +
                             std::to_string(si.ssi_pid));
    any = true;
  }
  return any;
}

void SignalForwarder::forward_meant_or_drop(int pidfd) {
  struct signalfd_siginfo si;
  while (sys::read_signal(fd_.get(), &si)) {
    bool meant = si.ssi_code > 0 || si.ssi_pid == static_cast<uint32_t>(sys::parent_pid());
    if (meant) (void)sys::pidfd_kill(pidfd, static_cast<int>(si.ssi_signo));
  }
}

}  // namespace cordon::isolate
