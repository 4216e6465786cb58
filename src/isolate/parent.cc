// Parent side of a sandbox start. Runs in a single-threaded supervisor with the caller's
// host privileges; the child half is in child.cc.
#include "isolate/parent.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "isolate/child.h"
#include "isolate/host_trees.h"
#include "isolate/slot_owner.h"
#include "isolate/sync.h"
#include "plan/id_range.h"
#include "sys/creds.h"
#include "sys/fd.h"
#include "sys/ns.h"
#include "sys/process.h"
#include "sys/socket.h"

namespace cordon::isolate {

Sandbox::~Sandbox() {
  if (!pidfd_.valid()) return;
  (void)sys::pidfd_kill(pidfd_.get(), SIGKILL);
  (void)sys::wait_pidfd(pidfd_.get());
}

namespace {

// Clones with this process sitting in netns_fd, then comes back: the child keeps it.
Result<sys::CloneResult> clone_in_netns(const plan::LaunchPlan& plan, const IdSlot& slot,
                                        Cgroup& cgroup, int netns_fd) {
  if (!plan.egress)
    return clone_as_slot_owner(static_cast<uid_t>(slot.uid_base()), plan.clone_flags,
                               cgroup.clone_fd());
  if (netns_fd < 0)
    return logic_error("clone", "network namespace", "egress without its namespace");
  ASSIGN_OR_RETURN(UniqueFd home, sys::open_ns(sys::self_pid(), "net"));
  TRY(sys::set_ns(netns_fd, CLONE_NEWNET));
  auto c =
      clone_as_slot_owner(static_cast<uid_t>(slot.uid_base()), plan.clone_flags, cgroup.clone_fd());
  if (c.ok() && c->pid == 0) return c;  // the child stays where it is
  // Not coming back would leave the supervisor in the sandbox's network: nothing of it
  // may go on (the clone's child, if any, is killed by its Sandbox's owner).
  Status back = sys::set_ns(home.get(), CLONE_NEWNET);
  if (!back.ok()) return back.error();
  return c;
}

}  // namespace

Result<Sandbox> launch(const plan::LaunchPlan& plan, const IdSlot& slot, Cgroup& cgroup,
                       const Timeline& timeline, int netns_fd) {
  ASSIGN_OR_RETURN(auto sync, sys::seqpacket_pair());
  ASSIGN_OR_RETURN(auto out, sys::make_pipe());
  ASSIGN_OR_RETURN(auto err, sys::make_pipe());

  // On v2 the child is born inside its cgroup; on v1 its first act is to join its groups
  // (child.cc), so nothing of the sandbox ever runs outside its limits.
  const std::vector<int> join = cgroup.join_fds();
  // The user namespace is owned by the slot's UID, so that what the kernel counts per
  // user lands on the slot's share and not on the caller's; and the clone is refused if
  // any other process counts against the slot (slot_owner.h).
  ASSIGN_OR_RETURN(sys::CloneResult c, clone_in_netns(plan, slot, cgroup, netns_fd));
  if (c.pid == 0) {
    sync.first.reset();
    child_main(ChildArgs{&plan, sync.second.get(), slot.lock_fd(), out.second.get(),
                         err.second.get(), &join, &timeline});
  }
  timeline.mark(Mark::kCloned);
  Sandbox sb(c.pid, std::move(c.pidfd), std::move(sync.first));
  sb.stdout_read = std::move(out.first);
  sb.stderr_read = std::move(err.first);

  // The child waits, unprivileged everywhere, until its IDs are mapped to the slot.
  TRY(sys::write_id_map(c.pid, "uid_map", plan::id_map_line(slot.uid_base())));
  TRY(sys::write_id_map(c.pid, "gid_map", plan::id_map_line(slot.gid_base())));
  std::vector<UniqueFd> trees;
  if (plan.mounts.tree_count() > 0) {
    ASSIGN_OR_RETURN(UniqueFd userns, sys::open_ns(c.pid, "user"));
    ASSIGN_OR_RETURN(trees,
                     open_host_trees(plan.mounts, userns.get(),
                                     {slot.uid_base() + plan.uid, slot.gid_base() + plan.gid}));
  }
  std::vector<int> fds;
  for (const auto& t : trees) fds.push_back(t.get());
  // Marked before the go is sent: once it is, the child's mounts step begins, and a
  // supervisor descheduled between the send and the mark would count that time twice.
  timeline.mark(Mark::kMapsWritten);
  TRY(send_phase(sb.sync_fd(), Phase::kMapsWritten, fds));
  return sb;
}

}  // namespace cordon::isolate
