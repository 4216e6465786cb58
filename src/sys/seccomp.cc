#include "sys/seccomp.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

namespace cordon::sys {
namespace {

long do_seccomp(unsigned op, unsigned flags, void* arg) {
  return ::syscall(SYS_seccomp, op, flags, arg);
}

}  // namespace

Status seccomp_load(const sock_filter* insns, size_t count, unsigned flags) {
  if (count == 0 || count > BPF_MAXINSNS)
    return errno_error(EINVAL, "seccomp SECCOMP_SET_MODE_FILTER", "program size");
  sock_fprog prog{static_cast<unsigned short>(count), const_cast<sock_filter*>(insns)};
  if (do_seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) != 0)
    return sys_error("seccomp SECCOMP_SET_MODE_FILTER");
  return {};
}

Result<UniqueFd> seccomp_load_with_listener(const sock_filter* insns, size_t count,
                                            unsigned flags) {
  if (count == 0 || count > BPF_MAXINSNS)
    return errno_error(EINVAL, "seccomp SECCOMP_SET_MODE_FILTER", "program size");
  sock_fprog prog{static_cast<unsigned short>(count), const_cast<sock_filter*>(insns)};
  long fd = do_seccomp(SECCOMP_SET_MODE_FILTER, flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) return sys_error("seccomp SECCOMP_SET_MODE_FILTER", "new listener");
  return UniqueFd(static_cast<int>(fd));
}

Result<SeccompNotifSizes> seccomp_notif_sizes() {
  struct ::seccomp_notif_sizes sizes {};
  if (do_seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
    return sys_error("seccomp SECCOMP_GET_NOTIF_SIZES");
  return SeccompNotifSizes{sizes.seccomp_notif, sizes.seccomp_notif_resp, sizes.seccomp_data};
}

Status seccomp_notif_recv(int listener, void* buf, size_t size) {
  if (size < sizeof(seccomp_notif))
    return errno_error(EINVAL, "ioctl SECCOMP_IOCTL_NOTIF_RECV", "buffer size");
  for (;;) {
    std::memset(buf, 0, size);
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, buf) == 0) return {};
    if (errno != EINTR) return sys_error("ioctl SECCOMP_IOCTL_NOTIF_RECV");
  }
}

Status seccomp_notif_send_error(int listener, uint64_t id, int error) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.val = 0;
  resp.error = -error;
  resp.flags = 0;
  for (;;) {
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) return {};
    if (errno != EINTR) return sys_error("ioctl SECCOMP_IOCTL_NOTIF_SEND");
  }
}

Result<bool> seccomp_notif_id_valid(int listener, uint64_t id) {
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0) return true;
  if (errno == ENOENT) return false;
  return sys_error("ioctl SECCOMP_IOCTL_NOTIF_ID_VALID");
}

Result<std::string> kernel_release() {
  struct utsname u {};
  if (::uname(&u) != 0) return sys_error("uname");
  return std::string(u.release);
}

}  // namespace cordon::sys
