// The launcher: a long-lived, single-threaded process that starts sandboxes for local
// callers, so that a service (or a client that runs many) pays neither an exec of cordon
// nor its start-up per sandbox. Each request is served by a forked copy of the launcher
// that becomes that sandbox's supervisor: it takes the caller's stdin, stdout, stderr,
// environment and working directory, and runs exactly what `cordon run ARGS` would run,
// so a supervisor that crashes or is killed takes only its own sandbox down.
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
  // Runs one request in the forked supervisor, returning its exit status (cmd/main.cc
  // passes what `cordon run` does). netns_prepared: this process was moved into a fresh
  // network namespace from the pool (plan::CallerEnv::netns_prepared).
  int (*run)(const std::vector<std::string>& args, bool netns_prepared) = nullptr;

  // The warm pool: `warm` sandboxes of one profile started ahead, each in a supervisor of
  // its own waiting for one request; a request the profile fits (warm_fits) skips every
  // step of a start but the command's own. Each serves one request and is forgotten.
  size_t warm = 0;
  bool (*warm_fits)(const std::vector<std::string>& args) = nullptr;
  // In the warm supervisor: start the sandbox (nullptr: failed, reported on stderr).
  void* (*warm_start)(bool netns_prepared) = nullptr;
  // Then, as the caller (stdio, environment, cwd taken): run args in it, or cold if it
  // cannot serve them after all; returns the exit status. Owns and ends the handle.
  int (*warm_run)(void* handle, const std::vector<std::string>& args) = nullptr;
  // Ends an unused handle (the launcher stopped or went away).
  void (*warm_discard)(void* handle) = nullptr;
  // Called once the socket listens (tests and scripts wait for it).
  void (*ready)(const std::string& socket_path) = nullptr;
};

// Serves until SIGTERM or SIGINT; the socket is removed on the way out.
Status serve(const ServeOptions& options);

}  // namespace cordon::launcher
