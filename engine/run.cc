#include "engine/run.h"

#include "backend/container/container_backend.h"

namespace cordon::engine {

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::kExited:
      return "exited";
    case Reason::kSignaled:
      return "signaled";
    case Reason::kSetupFailed:
      return "setup-failed";
  }
  return "setup-failed";
}

int RunResult::exit_status() const {
  switch (reason) {
    case Reason::kExited:
      return exit_code;
    case Reason::kSignaled:
      return 128 + signal;
    case Reason::kSetupFailed:
      break;
  }
  switch (failure) {
    case Failure::kInvalid:
      return kExitUsage;
    case Failure::kInput:
      return kExitInput;
    case Failure::kExec:
      return exit_code;
    default:
      return kExitSetupFailed;
  }
}

RunResult run(spec::SandboxSpec spec, const plan::CallerEnv& caller) {
  RunResult r;
  r.spec = spec;
  if (auto v = spec::validate(spec); !v.ok()) {
    r.failure = Failure::kInvalid;
    r.error = v.error();
    return r;
  }
  auto prepared = backend::prepare(std::move(spec), caller);
  if (!prepared.ok()) {
    r.failure = Failure::kInput;
    r.error = prepared.error();
    return r;
  }
  r.spec = prepared->spec;
  r.plan = prepared->plan;
  auto ex = backend::run(*prepared);
  if (!ex.ok()) {
    r.failure = Failure::kSetup;
    r.error = ex.error();
    return r;
  }
  r.wall_ns = ex->end_ns - ex->start_ns;
  r.uid_base = ex->uid_base;
  r.gid_base = ex->gid_base;
  r.id_fallback = ex->uid_fallback || ex->gid_fallback;
  using Kind = isolate::Outcome::Kind;
  const isolate::Outcome& o = ex->outcome;
  switch (o.kind) {
    case Kind::kExited:
      r.reason = Reason::kExited;
      r.exit_code = o.code;
      break;
    case Kind::kSignaled:
      r.reason = Reason::kSignaled;
      r.signal = o.code;
      break;
    case Kind::kExecFailed:
      r.failure = Failure::kExec;
      r.exit_code = o.code;
      r.error = o.error;
      break;
    case Kind::kSetupFailed:
      r.failure = Failure::kSetup;
      r.error = o.error;
      break;
  }
  return r;
}

}  // namespace cordon::engine
