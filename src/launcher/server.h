// The launcher: a long-lived, single-threaded process that starts sandboxes for local
// callers, so that a service (or a client that runs many) pays neither an exec of cordon
// nor its start-up per sandbox. A request is a typed sandbox spec (wire.h) with the
// caller's stdin, stdout and stderr; each is served by a forked copy of the launcher that
// becomes that sandbox's supervisor and runs it with the engine (engine/run.h), so a
// supervisor that crashes or is killed takes only its own sandbox down. The reply is the
// exit status and the typed result.
//
// While idle, the launcher keeps a pool of fresh network namespaces (netns_pool.h); each
// supervisor that gets one enters it before the sandbox starts, which then skips making
// its own (the costliest namespace to make).
//
// With `warm` set, it also keeps that many sandboxes of the default profile started
// ahead (ServeOptions::warm): a request that fits one skips the whole start.
//
// The caller hanging up raises SIGHUP in its supervisor, which forwards it to the
// sandbox (isolate/signals.h). SIGTERM or SIGINT stops the launcher: no new request is
// taken, the running ones get SIGTERM, and the launcher waits for them.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::launcher {

inline constexpr const char* kDefaultSocket = "/run/cordon/launcher.sock";

struct ServeOptions {
  std::string socket_path = kDefaultSocket;
  mode_t mode = 0600;     // who may connect; callers must also have the launcher's UID
  size_t netns_pool = 8;  // fresh network namespaces kept ready (0: none)
  // The warm pool: `warm` sandboxes of `cordon run`'s defaults started ahead, each in a
  // supervisor of its own waiting for one request; a request whose spec makes the same
  // sandbox (spec::same_sandbox) skips every step of a start but the command's own. Each
  // serves one request and is forgotten.
  size_t warm = 0;
  // Called once the socket listens (tests and scripts wait for it).
  void (*ready)(const std::string& socket_path) = nullptr;
};

// Serves until SIGTERM or SIGINT; the socket is removed on the way out.
Status serve(const ServeOptions& options);

}  // namespace cordon::launcher
