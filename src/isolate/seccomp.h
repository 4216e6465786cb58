// The seccomp step: the child loads the compiled program as its last act before execve;
// with --seccomp-report, the supervisor answers and counts the denied calls.
//
// Why notifications (SECCOMP_RET_USER_NOTIF) for the report: the kernel tells the
// listener of each denied call, with its number and arguments, and the call waits for the
// answer. The supervisor answers with the errno the plain filter would have returned, so
// the workload sees the same results as without the report, and every denial is counted,
// in every process of the sandbox. SECCOMP_RET_TRAP would send SIGSYS to the workload
// (changing its behaviour, and a handler of its own could hide the call);
// SECCOMP_RET_LOG allows the call and counts nothing we can read; the audit log is the
// host's. The cost is one round trip to the supervisor per denied call (see
// docs/seccomp.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/seccomp_policy.h"

namespace cordon::isolate {

// Child side. Preconditions: no_new_privs is set, the process is single-threaded, and
// nothing but execve (and, in report mode, the hand-off of *notify_fd_out to the
// supervisor with sendmsg, then its close) follows. In report mode notify_fd_out
// receives the listener (close-on-exec); otherwise it is left alone and may be null.
Status load_filter(const plan::SeccompProgram& program, UniqueFd* notify_fd_out);

struct SyscallDenial {
  std::string name;  // "keyctl"; "syscall_N" for a number without a name; "(other)"
  int err = 0;       // the errno the call failed with
  uint64_t count = 0;

  bool operator==(const SyscallDenial&) const = default;
};

// Supervisor side: owns the listener. Poll fd() for POLLIN and call handle_one() each
// time; POLLHUP means every process that ran under the filter is gone.
class SeccompReporter {
 public:
  // Distinct (syscall, errno) pairs kept apart; beyond, counts go to "(other)". A
  // workload can call any of 2^32 numbers: the supervisor's memory stays bounded.
  static constexpr size_t kMaxDistinct = 512;

  // program: the compiled report-mode program; its plain twin decides every answer.
  static Result<SeccompReporter> create(UniqueFd listener, const plan::SeccompProgram& program);

  int fd() const { return listener_.get(); }
  // Receives one pending notification, answers it with the plain filter's errno and
  // counts it. A caller that died or was interrupted meanwhile is not counted (a
  // restarted call comes back as a new notification).
  Status handle_one();
  // Every denial so far, most frequent first (then by name and errno).
  std::vector<SyscallDenial> denials() const;
  uint64_t total() const { return total_; }

 private:
  SeccompReporter(UniqueFd listener, plan::SeccompProgram answers, size_t buf_bytes);

  UniqueFd listener_;
  plan::SeccompProgram answers_;
  std::vector<uint64_t> buf_;                       // one notification, as large as the kernel's
  std::map<std::pair<int, int>, uint64_t> counts_;  // (nr, errno) -> count
  uint64_t other_ = 0;
  uint64_t total_ = 0;
};

}  // namespace cordon::isolate
