#include "sys/socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace cordon::sys {
namespace {
constexpr size_t kControlBytes = CMSG_SPACE(sizeof(int) * kMaxPassedFds);
}

Result<std::pair<UniqueFd, UniqueFd>> seqpacket_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return sys_error("socketpair");
  return std::make_pair(UniqueFd(sv[0]), UniqueFd(sv[1]));
}

Status send_msg(int sock, const void* data, size_t len, const std::vector<int>& fds) {
  if (fds.size() > kMaxPassedFds) return errno_error(E2BIG, "sendmsg", "too many fds");
  struct iovec iov = {const_cast<void*>(data), len};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[kControlBytes];
  if (!fds.empty()) {
    std::memset(control, 0, sizeof(control));
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return {};
    if (errno != EINTR) return sys_error("sendmsg");
  }
}

Result<size_t> recv_msg(int sock, void* data, size_t len, std::vector<UniqueFd>* fds_out) {
  struct iovec iov = {data, len};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[kControlBytes];
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  for (;;) {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n >= 0) break;
    if (errno != EINTR) return sys_error("recvmsg");
  }
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (fds_out != nullptr) {
        fds_out->emplace_back(fd);
      } else {
        ::close(fd);
      }
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) return errno_error(EMSGSIZE, "recvmsg", "fds truncated");
  return static_cast<size_t>(n);
}

}  // namespace cordon::sys
