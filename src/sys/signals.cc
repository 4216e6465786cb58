#include "sys/signals.h"

#include <pthread.h>
#include <unistd.h>

#include <ctime>

namespace cordon::sys {

Status set_signal_mask(int how, const sigset_t& set, sigset_t* old) noexcept {
  if (::sigprocmask(how, &set, old) != 0) return sys_error("sigprocmask");
  return {};
}

Status block_in_thread(const sigset_t& set) noexcept {
  int err = ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  if (err != 0) return errno_error(err, "pthread_sigmask");
  return {};
}

void set_default_action(int sig) noexcept {
  ::signal(sig, SIG_DFL);
}

Status set_signal_action(int sig, const struct sigaction& action, struct sigaction* old) noexcept {
  if (::sigaction(sig, &action, old) != 0) return sys_error("sigaction");
  return {};
}

bool send_signal(pid_t pid, int sig) noexcept {
  return ::kill(pid, sig) == 0;
}

Result<UniqueFd> signal_fd(const sigset_t& set, int flags) {
  UniqueFd fd(::signalfd(-1, &set, flags));
  if (!fd.valid()) return sys_error("signalfd");
  return fd;
}

bool read_signal(int fd, signalfd_siginfo* si) noexcept {
  return ::read(fd, si, sizeof(*si)) == sizeof(*si);
}

int wait_signal(const sigset_t& set, int timeout_ms) noexcept {
  struct timespec t = {timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000L};
  int sig = ::sigtimedwait(&set, nullptr, &t);
  return sig > 0 ? sig : 0;
}

}  // namespace cordon::sys
