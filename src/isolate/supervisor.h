// Follows a started sandbox to its end: pumps its output under the output cap, enforces
// the wall and CPU time limits, forwards the caller's termination signals, collects the
// reports of PID 1 and reaps it. At a limit the whole sandbox is killed: every process of
// its cgroup, then PID 1.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "isolate/cgroup.h"
#include "isolate/parent.h"
#include "isolate/seccomp.h"
#include "isolate/signals.h"
#include "spec/spec.h"

namespace cordon::isolate {

enum class LimitHit { kNone, kWallTime, kCpuTime, kOutput };

struct Outcome {
  enum class Kind {
    kExited,       // the command exited (code)
    kSignaled,     // the command was killed by a signal (code)
    kSetupFailed,  // a setup step failed (error)
    kExecFailed,   // the command could not be executed (error, code 126/127)
    kKilled,       // PID 1 died without a report: killed from outside or by the kernel
  };
  Kind kind = Kind::kSetupFailed;
  int code = 0;
  Error error;
  LimitHit limit = LimitHit::kNone;
  uint64_t output_bytes = 0;          // delivered to the destinations
  uint64_t output_dropped_bytes = 0;  // taken from the sandbox, not delivered by the deadline
  bool stdout_mid_line = false;       // what stdout took ends without a newline
  bool stderr_mid_line = false;       // and stderr (cordon's own lines then start a new one)
  // PID 1's rusage: every process it reaped, but not those the end of the PID namespace
  // reaps (killed at a limit). Accounting without a cgroup only.
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_system_ns = 0;
  Error kill_error;  // a failure while killing at a limit (the sandbox still ends: PID 1 is killed)
  // --boot: a stop was asked (a termination signal to cordon, or the wall-time limit)
  // and SIGRTMIN+3 sent to the init; stop_killed: it had not ended by the grace, and the
  // sandbox was killed. stop_ns: from the stop to the end of PID 1.
  bool stop_requested = false;
  bool stop_killed = false;
  uint64_t stop_ns = 0;
  std::vector<SyscallDenial> seccomp_denials;  // --seccomp-report
  Error seccomp_error;  // the report broke off (denials counted until then are kept)
};

struct SuperviseOptions {
  int stdout_dest = 1;  // where the sandbox's output goes
  int stderr_dest = 2;
  uint64_t start_ns = 0;  // CLOCK_MONOTONIC at the start, for the wall-time limit
  const plan::SeccompProgram* seccomp = nullptr;  // the filter, for --seccomp-report
  // -t: the sandbox's terminal is its only output (to stdout_dest), and the caller's
  // stdin (stdin_src) is relayed into it (isolate/pty.h).
  bool tty = false;
  int stdin_src = 0;
  // --boot: PID 1 is the command itself. The supervisor follows its pidfd (the sync
  // socket closes at its exec), relays its console (the terminal's master) to
  // stdout_dest, and stops it with SIGRTMIN+3, then SIGKILL after stop_grace_ns.
  bool boot = false;
  uint64_t stop_grace_ns = 0;
};

// signals: made at the start of the run (see signals.h); forwarded to PID 1 from here on.
Result<Outcome> supervise(Sandbox& sandbox, Cgroup& cgroup, const spec::Limits& limits,
                          SignalForwarder& signals, const SuperviseOptions& options);

uint64_t monotonic_ns();

}  // namespace cordon::isolate
