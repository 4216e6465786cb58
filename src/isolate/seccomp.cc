#include "isolate/seccomp.h"

#include <linux/audit.h>

#include <algorithm>
#include <cerrno>

#include "sys/seccomp.h"

namespace cordon::isolate {

Status load_filter(const plan::SeccompProgram& program, UniqueFd* notify_fd_out) {
  if (program.filter.empty()) return logic_error("seccomp", program.policy, "empty program");
  unsigned flags = program.log ? SECCOMP_FILTER_FLAG_LOG : 0;
  if (!program.report)
    return sys::seccomp_load(program.filter.data(), program.filter.size(), flags);
  if (notify_fd_out == nullptr) return logic_error("seccomp", program.policy, "no listener slot");
  ASSIGN_OR_RETURN(*notify_fd_out, sys::seccomp_load_with_listener(program.filter.data(),
                                                                   program.filter.size(), flags));
  return {};
}

Result<SeccompReporter> SeccompReporter::create(UniqueFd listener,
                                                const plan::SeccompProgram& program) {
  if (!listener.valid()) return logic_error("seccomp report", "", "no listener");
  if (!program.report || program.answers.empty())
    return logic_error("seccomp report", program.policy, "not a report-mode program");
  ASSIGN_OR_RETURN(sys::SeccompNotifSizes sizes, sys::seccomp_notif_sizes());
  size_t bytes = std::max<size_t>(sizes.notif, sizeof(seccomp_notif));
  plan::SeccompProgram answers;
  answers.report = true;
  answers.policy = program.policy;
  answers.answers = program.answers;
  return SeccompReporter(std::move(listener), std::move(answers), bytes);
}

SeccompReporter::SeccompReporter(UniqueFd listener, plan::SeccompProgram answers, size_t buf_bytes)
    : listener_(std::move(listener)),
      answers_(std::move(answers)),
      buf_((buf_bytes + sizeof(uint64_t) - 1) / sizeof(uint64_t)) {}

Status SeccompReporter::handle_one() {
  Status st = sys::seccomp_notif_recv(listener_.get(), buf_.data(), buf_.size() * sizeof(uint64_t));
  if (!st.ok()) {
    if (st.error().err == ENOENT) return {};  // the caller is gone
    return st;
  }
  // The kernel's struct may be longer than ours, never shorter: our fields come first.
  const auto* n = reinterpret_cast<const seccomp_notif*>(buf_.data());
  int err = plan::answer_errno(answers_, n->data);
  st = sys::seccomp_notif_send_error(listener_.get(), n->id, err);
  if (!st.ok()) {
    if (st.error().err == ENOENT) return {};
    return st;
  }
  ++total_;
  // The filter kills every other architecture, so only x86_64 numbers arrive here.
  int nr = n->data.arch == AUDIT_ARCH_X86_64 ? n->data.nr : -1;
  auto key = std::make_pair(nr, err);
  auto it = counts_.find(key);
  if (it != counts_.end()) {
    ++it->second;
  } else if (counts_.size() < kMaxDistinct) {
    counts_.emplace(key, 1);
  } else {
    ++other_;
  }
  return {};
}

std::vector<SyscallDenial> SeccompReporter::denials() const {
  std::vector<SyscallDenial> out;
  out.reserve(counts_.size() + 1);
  for (const auto& [key, count] : counts_) {
    std::string name = key.first < 0 ? "(other architecture)" : plan::syscall_name(key.first);
    out.push_back({std::move(name), key.second, count});
  }
  if (other_ > 0) out.push_back({"(other)", 0, other_});
  std::sort(out.begin(), out.end(), [](const SyscallDenial& a, const SyscallDenial& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.name != b.name) return a.name < b.name;
    return a.err < b.err;
  });
  return out;
}

}  // namespace cordon::isolate
