#include "sys/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
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

namespace {
Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un a;
  std::memset(&a, 0, sizeof(a));
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(a.sun_path))
    return errno_error(ENAMETOOLONG, "unix socket", path);
  std::memcpy(a.sun_path, path.c_str(), path.size());
  return a;
}
}  // namespace

Result<UniqueFd> listen_unix(const std::string& path, mode_t mode, int type) {
  static_assert(SOCK_SEQPACKET == 5);
  ASSIGN_OR_RETURN(sockaddr_un a, unix_address(path));
  UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket", path);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
  // Bound with no access for anyone, then opened up to mode: nobody connects in between.
  mode_t old = ::umask(0777);
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::umask(old);
  if (rc != 0) return sys_error("bind", path);
  if (::chmod(path.c_str(), mode) != 0) return sys_error("chmod", path);
  if (::listen(fd.get(), 128) != 0) return sys_error("listen", path);
  return fd;
}

Result<UniqueFd> listen_tcp(const std::string& host, int port) {
  if (port < 0 || port > 65535)
    return errno_error(EINVAL, "listen", "port " + std::to_string(port));
  sockaddr_storage ss;
  std::memset(&ss, 0, sizeof(ss));
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    return errno_error(EINVAL, "listen", "not an IP address: " + host);
  }
  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket", host);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return sys_error("bind", host + ":" + std::to_string(port));
  if (::listen(fd.get(), 128) != 0) return sys_error("listen", host);
  return fd;
}

Result<int> bound_port(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return sys_error("getsockname");
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return errno_error(EAFNOSUPPORT, "getsockname", "not an IP socket");
}

Result<int> socket_family(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return sys_error("getsockname");
  return static_cast<int>(ss.ss_family);
}

Status listen_backlog(int fd, int backlog) {
  if (::listen(fd, backlog) != 0) return sys_error("listen");
  return {};
}

Status set_recv_timeout(int sock, int ms) {
  timeval tv = {ms / 1000, (ms % 1000) * 1000};
  if (::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
    return sys_error("setsockopt", "SO_RCVTIMEO");
  return {};
}

Result<UniqueFd> accept_conn(int listen_fd) {
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EINTR) return sys_error("accept");
  }
}

Result<UniqueFd> connect_unix(const std::string& path) {
  ASSIGN_OR_RETURN(sockaddr_un a, unix_address(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket", path);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
    return sys_error("connect", path);
  return fd;
}

Result<UniqueFd> connect_unix_stream(const std::string& path) {
  ASSIGN_OR_RETURN(sockaddr_un a, unix_address(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket", path);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
    return sys_error("connect", path);
  return fd;
}

namespace {
// A non-blocking connect, waited for with poll: a blocking one could hang for minutes on
// an address that drops packets.
Status connect_one(int fd, const addrinfo* ai, int timeout_ms, const std::string& what) {
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return {};
  if (errno != EINPROGRESS && errno != EINTR) return sys_error("connect", what);
  struct pollfd p = {fd, POLLOUT, 0};
  int n;
  do {
    n = ::poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("poll", what);
  if (n == 0) return errno_error(ETIMEDOUT, "connect", what);
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return sys_error("getsockopt", what);
  if (err != 0) return errno_error(err, "connect", what);
  return {};
}
}  // namespace

Result<UniqueFd> connect_tcp(const std::string& host, int port, int timeout_ms) {
  std::string what = host + ":" + std::to_string(port);
  if (port <= 0 || port > 65535) return errno_error(EINVAL, "connect", what);
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) return logic_error("resolve", host, ::gai_strerror(rc));
  Error last = errno_error(EADDRNOTAVAIL, "connect", what);
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd.valid()) {
      last = sys_error("socket", what);
      continue;
    }
    Status st = connect_one(fd.get(), ai, timeout_ms, what);
    if (st.ok()) {
      ::freeaddrinfo(list);
      return fd;
    }
    last = std::move(st).error();
  }
  ::freeaddrinfo(list);
  return last;
}

Result<uid_t> peer_uid(int sock) {
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (::getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return sys_error("getsockopt", "SO_PEERCRED");
  return cred.uid;
}

Result<bool> signal_on_hangup(int sock, int sig) {
  if (::fcntl(sock, F_SETOWN, ::getpid()) != 0) return sys_error("fcntl", "F_SETOWN");
  if (::fcntl(sock, F_SETSIG, sig) != 0) return sys_error("fcntl", "F_SETSIG");
  int flags = ::fcntl(sock, F_GETFL);
  if (flags < 0 || ::fcntl(sock, F_SETFL, flags | O_ASYNC) != 0)
    return sys_error("fcntl", "O_ASYNC");
  struct pollfd p = {sock, POLLIN, 0};
  if (::poll(&p, 1, 0) < 0) return sys_error("poll");
  return (p.revents & (POLLHUP | POLLERR)) != 0;
}

Result<UniqueFd> listen_abstract(const std::string& name) {
  struct sockaddr_un u;
  std::memset(&u, 0, sizeof(u));
  if (name.size() + 1 > sizeof(u.sun_path)) return errno_error(ENAMETOOLONG, "listen", "@" + name);
  u.sun_family = AF_UNIX;
  std::memcpy(u.sun_path + 1, name.data(), name.size());
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket", "@" + name);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&u), len) != 0 || ::listen(fd.get(), 16) != 0)
    return sys_error("listen", "@" + name);
  return fd;
}

Result<size_t> send_some(int sock, const void* data, size_t len) noexcept {
  ssize_t n = ::send(sock, data, len, MSG_NOSIGNAL);
  if (n < 0) return sys_error("send");
  return static_cast<size_t>(n);
}

Result<size_t> recv_some(int sock, void* buf, size_t len) noexcept {
  ssize_t n = ::recv(sock, buf, len, 0);
  if (n < 0) return sys_error("recv");
  return static_cast<size_t>(n);
}

Result<size_t> send_nowait(int sock, const void* data, size_t len) noexcept {
  ssize_t n = ::send(sock, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0) return sys_error("send");
  return static_cast<size_t>(n);
}

}  // namespace cordon::sys
