// Every exit status cordon's commands use, defined once: in the spirit of timeout(1) and
// sysexits(3), and documented for users in docs/result.md. A command killed by signal N
// exits 128 + N; otherwise a sandbox's command's own exit code passes through.
#pragma once

#include <signal.h>

namespace cordon {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;           // bad option or value (EX_USAGE)
inline constexpr int kExitInput = 66;           // rootfs or bind source missing (EX_NOINPUT)
inline constexpr int kExitCantCreate = 73;      // an output file (--result-file) cannot be
                                                // made (EX_CANTCREAT): checked before a run
inline constexpr int kExitNoPerm = 77;          // not run as root, which cordon run needs
                                                // (EX_NOPERM)
inline constexpr int kExitOom = 121;            // killed by the OOM killer at --memory
inline constexpr int kExitOutputLimit = 122;    // --output-limit was passed
inline constexpr int kExitCpuTime = 123;        // --cpu-time was reached
inline constexpr int kExitWallTime = 124;       // --time was reached (as timeout(1))
inline constexpr int kExitSetupFailed = 125;    // an isolation step could not be applied,
                                                // or the command could not run at all
inline constexpr int kExitNotExecutable = 126;  // the command exists but cannot be executed
inline constexpr int kExitNotFound = 127;       // the command was not found inside
inline constexpr int kExitSignalBase = 128;     // + N: the command was killed by signal N
// A daemon's job whose sandbox the daemon killed (SIGKILL to its supervisor, which takes
// the whole sandbox down) before it reported: after cancel_grace, or at the daemon's stop.
// What a shell reports for a `cordon run` killed that way. (A job that ended without an
// exit status of its own, never ran or was lost, has none: null in the API.)
inline constexpr int kExitKilled = kExitSignalBase + SIGKILL;

}  // namespace cordon
