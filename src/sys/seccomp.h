// seccomp(2) and the ioctls of its notification listener.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

// seccomp(SECCOMP_SET_MODE_FILTER, flags, prog): the filter applies to the calling thread
// and to everything it forks and execs from now on; it cannot be removed.
// Preconditions: no_new_privs is set (or the caller holds CAP_SYS_ADMIN in its user
// namespace), and the caller is single-threaded (no SECCOMP_FILTER_FLAG_TSYNC here).
// Every syscall after this one goes through the filter.
Status seccomp_load(const sock_filter* insns, size_t count, unsigned flags);

// The same with SECCOMP_FILTER_FLAG_NEW_LISTENER: returns the notification listener,
// close-on-exec (the kernel sets it). At most one listener per filter stack (EBUSY).
// Needs Linux 5.0.
Result<UniqueFd> seccomp_load_with_listener(const sock_filter* insns, size_t count, unsigned flags);

// SECCOMP_GET_NOTIF_SIZES: the running kernel's sizes of the notification structs, which
// may exceed this program's headers.
struct SeccompNotifSizes {
  uint16_t notif = 0;
  uint16_t resp = 0;
  uint16_t data = 0;
};
Result<SeccompNotifSizes> seccomp_notif_sizes();

// SECCOMP_IOCTL_NOTIF_RECV into `buf` (size at least the kernel's notif size; zeroed here,
// as the kernel demands). Blocks until a notification is pending: poll the listener
// first. ENOENT: the caller died or was interrupted between poll and receive.
Status seccomp_notif_recv(int listener, void* buf, size_t size);

// SECCOMP_IOCTL_NOTIF_SEND: the notified syscall fails with -error (error > 0). Never
// SECCOMP_USER_NOTIF_FLAG_CONTINUE: cordon only denies. ENOENT: the caller was
// interrupted by a signal or died; its syscall is gone.
Status seccomp_notif_send_error(int listener, uint64_t id, int error);

// SECCOMP_IOCTL_NOTIF_ID_VALID: whether the notification is still pending (its caller
// alive and blocked). Needed only by supervisors that read the caller's memory.
Result<bool> seccomp_notif_id_valid(int listener, uint64_t id);

// uname(2)'s release ("6.1.0-18-amd64"): what Docker's minKernel in a profile is
// compared with (plan::profile_context_for_kernel).
Result<std::string> kernel_release();

}  // namespace cordon::sys
