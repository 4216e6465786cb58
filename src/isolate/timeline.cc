#include "isolate/timeline.h"

#include <time.h>

#include <atomic>

#include "sys/clock.h"
#include "sys/shared_page.h"

namespace cordon::isolate {
namespace {

std::atomic<uint64_t>* slots(const std::unique_ptr<sys::SharedPage>& page) {
  return page ? static_cast<std::atomic<uint64_t>*>(page->data()) : nullptr;
}

// After the marks: the errno of a failed execve.
constexpr int kErrnoSlot = static_cast<int>(Mark::kCount);

struct StepDef {
  const char* name;
  Mark from;
  Mark to;
};

// The critical path of a start, in order. The child's wait for its ID maps overlaps
// the supervisor's id_maps step, so it is not a step of its own.
constexpr StepDef kSteps[] = {
    {"slot", Mark::kStart, Mark::kSlotTaken},
    {"cgroup_create", Mark::kSlotTaken, Mark::kCgroupReady},
    {"clone", Mark::kCgroupReady, Mark::kCloned},
    {"id_maps", Mark::kCloned, Mark::kMapsWritten},
    {"mounts", Mark::kMapsReceived, Mark::kMountsDone},
    {"child_setup", Mark::kMountsDone, Mark::kSetupDone},
    {"await_command", Mark::kSetupDone, Mark::kCommandReceived},
    {"fork_command", Mark::kCommandReceived, Mark::kCommandForked},
    {"seccomp_load", Mark::kCommandForked, Mark::kSeccompLoaded},
    {"exec_and_run", Mark::kExec, Mark::kCommandEnded},
    {"sandbox_exit", Mark::kCommandEnded, Mark::kExited},
    {"teardown", Mark::kExited, Mark::kTornDown},
    {"total", Mark::kStart, Mark::kTornDown},
};

}  // namespace

Timeline::Timeline() = default;
Timeline::Timeline(Timeline&&) noexcept = default;
Timeline& Timeline::operator=(Timeline&&) noexcept = default;
Timeline::~Timeline() = default;

Result<Timeline> Timeline::create() {
  static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t));
  static_assert(std::atomic<uint64_t>::is_always_lock_free);
  Timeline t;
  ASSIGN_OR_RETURN(sys::SharedPage page, sys::SharedPage::create(4096));
  t.page_ = std::make_unique<sys::SharedPage>(std::move(page));
  return t;
}

void Timeline::mark(Mark m) const noexcept {
  if (!page_) return;
  uint64_t ns = sys::monotonic_ns();
  slots(page_)[static_cast<int>(m)].store(ns, std::memory_order_relaxed);
}

void Timeline::note_exec_errno(int err) const noexcept {
  if (page_) slots(page_)[kErrnoSlot].store(static_cast<uint64_t>(err), std::memory_order_relaxed);
}

int Timeline::exec_errno() const noexcept {
  if (!page_) return 0;
  return static_cast<int>(slots(page_)[kErrnoSlot].load(std::memory_order_relaxed));
}

uint64_t Timeline::at(Mark m) const noexcept {
  if (!page_) return 0;
  return slots(page_)[static_cast<int>(m)].load(std::memory_order_relaxed);
}

std::vector<std::pair<std::string, uint64_t>> Timeline::steps() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const StepDef& s : kSteps) {
    uint64_t a = at(s.from), b = at(s.to);
    if (a != 0 && b >= a) out.emplace_back(s.name, b - a);
  }
  return out;
}

}  // namespace cordon::isolate
