#include "backend/container/container_backend.h"

#include <time.h>

#include "isolate/id_slot.h"
#include "isolate/preflight.h"
#include "sys/ns.h"

namespace cordon::backend {
namespace {

uint64_t now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

Result<Prepared> prepare(spec::SandboxSpec spec, const plan::CallerEnv& caller) {
  TRY(spec::validate(spec));
  TRY(isolate::resolve_host_paths(&spec));
  Prepared p;
  p.plan = plan::compile(spec, caller, sys::kernel_has_ns("time"));
  p.spec = std::move(spec);
  return p;
}

Result<Execution> run(const Prepared& prepared) {
  Execution ex;
  ex.start_ns = now_ns();
  ASSIGN_OR_RETURN(isolate::SlotConfig slots, isolate::load_slot_config());
  ASSIGN_OR_RETURN(isolate::IdSlot slot, isolate::take_slot(slots));
  ex.uid_base = slot.uid_base();
  ex.gid_base = slot.gid_base();
  ex.uid_fallback = slots.uid_fallback;
  ex.gid_fallback = slots.gid_fallback;
  {
    ASSIGN_OR_RETURN(isolate::Sandbox sandbox, isolate::launch(prepared.plan, slot));
    ASSIGN_OR_RETURN(ex.outcome, isolate::supervise(sandbox));
  }
  slot.release();
  ex.end_ns = now_ns();
  return ex;
}

}  // namespace cordon::backend
