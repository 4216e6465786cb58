#include "engine/container/container_backend.h"

#include "base/log.h"
#include "engine/container/start_log.h"

#include <optional>
#include <set>

#include "isolate/id_slot.h"
#include "isolate/parent.h"
#include "isolate/preflight.h"
#include "isolate/sync.h"
#include "plan/cgroup_plan.h"
#include "plan/seccomp_builtin.h"
#include "spec/spec_json.h"
#include "sys/ns.h"
#include "sys/process.h"
#include "sys/seccomp.h"

namespace cordon::backend {

namespace {

// The filter of the spec's choice, compiled before the clone: the child only loads bytes.
Result<std::optional<plan::SeccompProgram>> compile_seccomp(const spec::SandboxSpec& spec) {
  using Kind = spec::SeccompChoice::Kind;
  plan::SeccompPolicy policy;
  // An owner-mapped writable bind adds the set-ID rule (plan::refuse_set_id_files).
  bool set_id_rule = false;
  for (const auto& b : spec.binds) set_id_rule |= b.writable && b.mapping.owner_mapped;
  switch (spec.seccomp.kind) {
    case Kind::kUnconfined:
      return std::optional<plan::SeccompProgram>();
    case Kind::kDefault:
    case Kind::kStrict:
      if (spec.boot && spec.seccomp.kind == Kind::kDefault) {
        policy = plan::boot_policy();  // spec::validate refuses --boot with strict
        break;
      }
      if (set_id_rule) {
        policy =
            spec.seccomp.kind == Kind::kDefault ? plan::default_policy() : plan::strict_policy();
        break;
      }
      // Compiled at build time (plan/seccomp_builtin.h).
      return plan::builtin_seccomp(spec::to_string(spec.seccomp.kind), spec.seccomp_report);
    case Kind::kFile: {
      // minKernel in a profile is compared with the running kernel.
      ASSIGN_OR_RETURN(std::string release, sys::kernel_release());
      ASSIGN_OR_RETURN(plan::ProfileContext ctx, plan::profile_context_for_kernel(release));
      ASSIGN_OR_RETURN(policy, plan::policy_from_profile(*spec.seccomp.profile, ctx));
      break;
    }
  }
  if (set_id_rule) policy = plan::refuse_set_id_files(std::move(policy));
  ASSIGN_OR_RETURN(plan::SeccompProgram program,
                   plan::compile(policy, plan::CompileOptions{spec.seccomp_report}));
  return std::optional<plan::SeccompProgram>(std::move(program));
}

}  // namespace

Result<Prepared> prepare(spec::SandboxSpec spec, const plan::CallerEnv& caller) {
  TRY(spec::validate(spec));
  Prepared p;
  if (spec.image) {
    // Held before the layers are checked: from here on prune leaves them alone.
    ASSIGN_OR_RETURN(image::Store store, image::Store::open(spec.image->store, false));
    ASSIGN_OR_RETURN(image::StoreLock held, store.hold_layers());
    p.layers_in_use = std::make_shared<image::StoreLock>(std::move(held));
  }
  TRY(isolate::resolve_host_paths(&spec));
  p.plan = plan::compile(spec, caller, sys::kernel_has_ns("time"));
  ASSIGN_OR_RETURN(p.plan.seccomp, compile_seccomp(spec));
  p.spec = std::move(spec);
  return p;
}

// Declared in this order so that they end in the reverse one: the sandbox's processes,
// then its cgroup, then its slot, then the signal forwarding.
class Started {
 public:
  // A named sandbox leaves the registry first: no exec enters what is being torn down.
  ~Started() {
    if (prepared != nullptr && prepared->registration != nullptr) prepared->registration->remove();
  }
  const Prepared* prepared = nullptr;
  Execution ex;
  std::unique_ptr<isolate::SignalForwarder> signals;
  isolate::Timeline timeline;
  std::optional<isolate::IdSlot> slot;
  std::unique_ptr<isolate::Cgroup> cgroup;
  std::optional<isolate::Sandbox> sandbox;
  StartLog log;  // -v
  StartFacts facts;
};

void StartedDeleter::operator()(Started* s) const {
  delete s;
}

namespace {

// The slot's number among the configured ones, for -v.
int64_t slot_index(const isolate::SlotConfig& slots, uint64_t base) {
  for (size_t i = 0; i < slots.slots.size(); ++i) {
    if (slots.slots.base(i) == base) return static_cast<int64_t>(i);
  }
  return -1;
}

// `cordon run --name`: what `cordon exec` needs, once PID 1 runs (exec waits for the
// command's process before it enters: PID 1's setup is done by then).
Status publish_state(const Started& s) {
  isolate::SandboxState st;
  st.supervisor_pid = sys::self_pid();
  st.supervisor_start = sys::process_start_time(st.supervisor_pid);
  st.pid1 = s.sandbox->pid();
  st.pid1_start = sys::process_start_time(st.pid1);
  st.uid_base = s.ex.uid_base;
  st.gid_base = s.ex.gid_base;
  st.cgroup_version = s.ex.cgroup_mode == isolate::CgroupMode::kV2   ? 2
                      : s.ex.cgroup_mode == isolate::CgroupMode::kV1 ? 1
                                                                     : 0;
  st.cgroup_paths = s.ex.cgroup_paths;
  st.spec = spec::to_json(s.prepared->spec);
  st.seccomp = s.prepared->plan.seccomp;
  if (st.pid1_start == 0) return errno_error(ESRCH, "register sandbox", "PID 1");
  return s.prepared->registration->publish(st);
}

// One try at a slot: its lock, its cgroup (made after the stale ones of this parent are
// swept), the clone. EBUSY: the slot is in use by a sandbox whose cordon does not share
// our locks (slot_owner.h); the caller tries another.
Status start_in_a_slot(Started& s, const isolate::SlotConfig& slots,
                       const std::set<uint64_t>& busy) {
  const plan::LaunchPlan& plan = s.prepared->plan;
  Execution& ex = s.ex;
  if (plan.slot_base) {
    ASSIGN_OR_RETURN(s.slot, isolate::take_slot_at(slots, *plan.slot_base));
  } else {
    ASSIGN_OR_RETURN(s.slot, isolate::take_slot(slots, busy));
  }
  s.timeline.mark(isolate::Mark::kSlotTaken);
  ex.uid_base = s.slot->uid_base();
  ex.gid_base = s.slot->gid_base();
  s.facts.uid_base = ex.uid_base;
  s.facts.gid_base = ex.gid_base;
  s.facts.slot_index = log_level() >= LogLevel::kInfo ? slot_index(slots, ex.uid_base) : -1;
  s.log.flush(s.timeline, s.facts, isolate::Mark::kSlotTaken);
  s.cgroup = isolate::no_cgroup();
  if (!plan.no_cgroup) {
    ASSIGN_OR_RETURN(isolate::CgroupMode mode, isolate::detect_cgroup_mode("/sys/fs/cgroup"));
    isolate::CgroupRequest request{plan::cgroup_name(s.slot->uid_base()), plan.cgroup_parent,
                                   plan.limits};
    // --boot: the init gets its group (isolate/cgroup.h), owned by root inside.
    request.delegate = plan.boot;
    request.delegate_uid = static_cast<uid_t>(s.slot->uid_base());
    request.delegate_gid = static_cast<gid_t>(s.slot->gid_base());
    request.sweep_own = plan.slot_base.has_value();
    TRY(isolate::load_caller_cgroups(&request));  // once: the sweep and the groups use it
    TRY(isolate::sweep_stale_groups(
        request, mode, [&](uint64_t base) { return isolate::slot_is_free(slots, base); }));
    ASSIGN_OR_RETURN(s.cgroup, isolate::create_cgroup(request, mode));
  }
  s.timeline.mark(isolate::Mark::kCgroupReady);
  ex.cgroup_mode = s.cgroup->mode();
  if (plan.netns_prepared) TRY(isolate::check_prepared_netns());
  ex.cgroup_paths = s.cgroup->paths();
  s.facts.cgroup_mode = ex.cgroup_mode;
  s.facts.cgroup_paths = ex.cgroup_paths;
  s.log.flush(s.timeline, s.facts, isolate::Mark::kCgroupReady);
  ASSIGN_OR_RETURN(s.sandbox, isolate::launch(plan, *s.slot, *s.cgroup, s.timeline));
  s.facts.pid1 = s.sandbox->pid();
  if (s.prepared->registration != nullptr) TRY(publish_state(s));
  return {};
}

}  // namespace

Result<StartedPtr> start(const Prepared& prepared) {
  StartedPtr s(new Started);
  s->prepared = &prepared;
  s->ex.start_ns = isolate::monotonic_ns();
  ASSIGN_OR_RETURN(s->timeline, isolate::Timeline::create());
  s->timeline.mark(isolate::Mark::kStart);
  // From here on a Ctrl-C or SIGTERM is held, then forwarded to the sandbox: it can no
  // longer kill the supervisor halfway and leave its cgroup behind.
  s->signals = std::make_unique<isolate::SignalForwarder>();
  ASSIGN_OR_RETURN(isolate::SlotConfig slots, isolate::load_slot_config());
  s->ex.uid_fallback = slots.uid_fallback;
  s->ex.gid_fallback = slots.gid_fallback;
  std::set<uint64_t> busy;
  s->facts.plan = &prepared.plan;
  for (;;) {
    Status st = start_in_a_slot(*s, slots, busy);
    if (st.ok()) return s;
    s->log.flush(s->timeline, s->facts);  // how far it got
    // A few slots in use elsewhere are skipped; more than that is not chance.
    // A fixed slot (an instance's) is that one or none.
    if (!isolate::slot_in_use(st.error()) || !s->slot || busy.size() >= 8 ||
        prepared.plan.slot_base)
      return std::move(st).error();
    busy.insert(s->slot->uid_base());
    s->cgroup.reset();  // ours (a refused group is left as it is), before the slot goes
    s->slot.reset();
  }
}

Status send_command(Started& s, const std::vector<std::string>& argv,
                    const std::vector<std::string>& envp, int stdin_fd) {
  if (!s.prepared->plan.late_command)
    return logic_error("send command", "", "the sandbox was not prestarted");
  s.ex.start_ns = isolate::monotonic_ns();
  TRY(isolate::send_command(s.sandbox->sync_fd(), argv, envp, stdin_fd));
  // What came while the sandbox waited: a hangup of the caller or a stop from the
  // launcher is this command's; a stray signal from anyone else was meant for none.
  s.signals->forward_meant_or_drop(s.sandbox->pidfd());
  return {};
}

namespace {

Progress progress_of(const isolate::Timeline& t) {
  using isolate::Mark;
  Progress p;
  p.mounts = t.at(Mark::kMountsDone) != 0;
  p.privileges = t.at(Mark::kSetupDone) != 0;
  p.seccomp = t.at(Mark::kSeccompLoaded) != 0;
  p.exec_called = t.at(Mark::kExec) != 0;
  p.exec_returned = t.at(Mark::kExecFailed) != 0;
  p.exec_errno = p.exec_returned ? t.exec_errno() : 0;
  return p;
}

}  // namespace

Result<Execution> finish(StartedPtr s) {
  const plan::LaunchPlan& plan = s->prepared->plan;
  Execution& ex = s->ex;
  isolate::SuperviseOptions options{
      1, 2, ex.start_ns, plan.seccomp ? &*plan.seccomp : nullptr, plan.tty, 0};
  options.boot = plan.boot;
  options.stop_grace_ns = plan.stop_grace_ns;
  auto outcome = isolate::supervise(*s->sandbox, *s->cgroup, plan.limits, *s->signals, options);
  if (!outcome.ok()) {
    s->log.flush(s->timeline, s->facts);
    return std::move(outcome).error();
  }
  ex.outcome = std::move(outcome).value();
  if (s->prepared->registration != nullptr) s->prepared->registration->remove();
  s->sandbox.reset();
  s->timeline.mark(isolate::Mark::kExited);
  // Accounting is read before the group goes; then nothing of the sandbox is left.
  ASSIGN_OR_RETURN(ex.usage, s->cgroup->usage());
  TRY(s->cgroup->kill_all());
  TRY(s->cgroup->remove());
  s->slot->release();
  ex.end_ns = isolate::monotonic_ns();
  s->timeline.mark(isolate::Mark::kTornDown);
  // The command's output is all out by now: the sandbox's steps follow it.
  if (ex.outcome.stderr_mid_line) s->log.newline_first();
  s->log.flush(s->timeline, s->facts);
  ex.steps = s->timeline.steps();
  ex.progress = progress_of(s->timeline);
  return std::move(ex);
}

Result<Execution> run(const Prepared& prepared) {
  ASSIGN_OR_RETURN(StartedPtr s, start(prepared));
  return finish(std::move(s));
}

}  // namespace cordon::backend
