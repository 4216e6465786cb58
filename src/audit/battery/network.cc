// network: reach the host or anything beyond it. The sandbox's network namespace has only
// lo: the host's 127.0.0.1 and its abstract unix sockets are not there, no route leaves,
// and raw or packet sockets are refused. Connections are opened and closed at once; no
// byte is sent.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sstream>

#include "battery.h"

namespace audit {
namespace {

// Connects with a timeout; 0 when connected, else the errno (ETIMEDOUT on the timeout).
int connect_timeout(int fd, const sockaddr* addr, socklen_t len, int timeout_ms) {
  int fl = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  if (::connect(fd, addr, len) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  struct pollfd p = {fd, POLLOUT, 0};
  int r;
  while ((r = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (r == 0) return ETIMEDOUT;
  int err = 0;
  socklen_t l = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
  return err;
}

int tcp_connect(const char* ip, int port, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  int e = connect_timeout(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a), timeout_ms);
  ::close(fd);
  return e;
}

Outcome host_tcp(const Context& c) {
  if (!c.facts.host_tcp_port) return skipped("no host_tcp_port in the host facts");
  int e = tcp_connect("127.0.0.1", *c.facts.host_tcp_port, 1000);
  std::string where = "127.0.0.1:" + std::to_string(*c.facts.host_tcp_port);
  if (e == 0) return escaped("connected to the host's " + where);
  if (e == ECONNREFUSED) return stopped("ECONNREFUSED: the sandbox's loopback is its own");
  return stopped(err_name(e) + " connecting to " + where);
}

Outcome host_abstract(const Context& c) {
  if (c.facts.host_abstract_socket.empty())
    return skipped("no host_abstract_socket in the host facts");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return stopped("socket: " + err_name(errno));
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  const std::string& n = c.facts.host_abstract_socket;
  memcpy(a.sun_path + 1, n.data(), n.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n.size());
  int e = connect_timeout(fd, reinterpret_cast<sockaddr*>(&a), len, 1000);
  ::close(fd);
  if (e == 0) return escaped("connected to the host's abstract socket @" + n);
  if (e == ECONNREFUSED || e == ENOENT)
    return stopped(err_name(e) + ": abstract sockets belong to the network namespace");
  return stopped(err_name(e));
}

// Unix sockets of host daemons by path (container engines, systemd, D-Bus): connected
// and closed at once.
Outcome host_unix_sockets(const Context&) {
  std::string seen;
  for (const char* p :
       {"/run/docker.sock", "/var/run/docker.sock", "/run/containerd/containerd.sock",
        "/run/podman/podman.sock", "/run/systemd/private", "/run/dbus/system_bus_socket"}) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return stopped("socket: " + err_name(errno));
    sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, p, sizeof(a.sun_path) - 1);
    int e = connect_timeout(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a), 1000);
    ::close(fd);
    if (e == 0) return escaped(std::string("connected to ") + p);
    if (e != ENOENT) seen += std::string(" ") + p + ":" + err_name(e);
  }
  return stopped(seen.empty() ? "none of the known daemon sockets exists" : "refused:" + seen);
}

Outcome open_socket(int family, int type, int proto, const std::string& what) {
  int fd = ::socket(family, type | SOCK_CLOEXEC, proto);
  if (fd < 0) return stopped(err_name(errno));
  ::close(fd);
  return escaped(what + " socket created");
}

Outcome packet_socket(const Context&) {
  return open_socket(AF_PACKET, SOCK_RAW, 0, "AF_PACKET");
}
Outcome raw_socket(const Context&) {
  return open_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP, "AF_INET SOCK_RAW");
}

// Only lo in /proc/net/dev.
Outcome interfaces(const Context&) {
  int err = 0;
  auto s = read_text("/proc/net/dev", 65536, &err);
  if (!s) return stopped("/proc/net/dev: " + err_name(err));
  std::istringstream in(*s);
  std::string line, others;
  int n = 0;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    ++n;
    others += " " + name;
  }
  if (n > 0) return escaped("interfaces besides lo:" + others);
  return stopped("only lo");
}

// The cloud metadata service (link-local), with a 1 s timeout: ENETUNREACH when no route
// leaves the sandbox; a timeout means packets went out.
Outcome metadata(const Context&) {
  int e = tcp_connect("169.254.169.254", 80, 1000);
  if (e == 0) return escaped("connected to 169.254.169.254:80");
  if (e == ENETUNREACH || e == EHOSTUNREACH) return stopped(err_name(e));
  if (e == ETIMEDOUT) return escaped("no answer in 1 s, but a route exists: a SYN left");
  return escaped(err_name(e) + ": a route to 169.254.169.254 exists");
}

// A route out: connect(2) on UDP sends nothing, it only picks a route (192.0.2.1 is
// TEST-NET-1, never used).
Outcome default_route(const Context&) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return stopped("socket: " + err_name(errno));
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(9);
  ::inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
  int r = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  int e = errno;
  ::close(fd);
  if (r == 0) return escaped("a route to 192.0.2.1 exists (nothing sent)");
  if (e == ENETUNREACH || e == EHOSTUNREACH) return stopped(err_name(e));
  return stopped(err_name(e));
}

}  // namespace

const Category& network_category() {
  static const Category c = {
      "network",
      false,
      {
          {"host-tcp", "connect to 127.0.0.1:host_tcp_port", host_tcp},
          {"host-abstract", "connect to the abstract socket host_abstract_socket", host_abstract},
          {"host-unix-sockets", "connect to host daemons' unix sockets by path", host_unix_sockets},
          {"packet-socket", "socket(AF_PACKET, SOCK_RAW)", packet_socket},
          {"raw-socket", "socket(AF_INET, SOCK_RAW, ICMP)", raw_socket},
          {"interfaces", "interfaces besides lo in /proc/net/dev", interfaces},
          {"metadata", "connect to 169.254.169.254:80 (1 s timeout)", metadata},
          {"default-route", "a route to 192.0.2.1 (UDP connect, nothing sent)", default_route},
      },
  };
  return c;
}

}  // namespace audit
