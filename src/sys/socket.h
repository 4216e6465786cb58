// A SOCK_SEQPACKET pair: each send is one message, delivered whole or not at all,
// and a peer's death is an EOF. Optionally carries fds (SCM_RIGHTS).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

Result<std::pair<UniqueFd, UniqueFd>> seqpacket_pair();
inline constexpr size_t kMaxPassedFds = 128;
Status send_msg(int sock, const void* data, size_t len, const std::vector<int>& fds = {});
// Returns bytes received (0 on EOF); passed fds (at most kMaxPassedFds) go to *fds_out,
// or are closed when fds_out is null.
Result<size_t> recv_msg(int sock, void* data, size_t len, std::vector<UniqueFd>* fds_out = nullptr);

// A listening Unix socket at path (a stale socket file there is replaced), chmod'ed to
// mode before it accepts anyone. type: SOCK_SEQPACKET or SOCK_STREAM.
Result<UniqueFd> listen_unix(const std::string& path, mode_t mode, int type = 5 /*SOCK_SEQPACKET*/);
// A listening SOCK_STREAM Unix socket in the abstract namespace ("@name": no file; it
// goes with its last fd), in the caller's network namespace.
Result<UniqueFd> listen_abstract(const std::string& name);
// A listening TCP socket on an IPv4 or IPv6 literal host and port (0: the kernel picks).
Result<UniqueFd> listen_tcp(const std::string& host, int port);
Result<int> bound_port(int fd);
// The address family (AF_INET, AF_INET6, AF_UNIX) a socket is bound in.
Result<int> socket_family(int fd);
// listen(2) on a bound socket again, with this queue length (a listener made elsewhere
// given the longest queue the kernel allows).
Status listen_backlog(int fd, int backlog);
// SO_RCVTIMEO: a read that waits longer fails with EAGAIN.
Status set_recv_timeout(int sock, int ms);
Result<UniqueFd> accept_conn(int listen_fd);
Result<UniqueFd> connect_unix(const std::string& path);
// A connected SOCK_STREAM Unix socket (connect_unix's is SOCK_SEQPACKET).
Result<UniqueFd> connect_unix_stream(const std::string& path);
// A TCP connection to host (a name, resolved with getaddrinfo, or an IP literal) and port,
// each address tried in turn, each for at most timeout_ms. The fd comes back non-blocking.
Result<UniqueFd> connect_tcp(const std::string& host, int port, int timeout_ms);
// send(MSG_DONTWAIT | MSG_NOSIGNAL) once: bytes taken (maybe fewer); EAGAIN when the
// socket is full, EPIPE when the peer is gone (no SIGPIPE), as errors.
Result<size_t> send_nowait(int sock, const void* data, size_t len) noexcept;
// send(MSG_NOSIGNAL) and recv(2) once, blocking as the socket is: bytes moved (recv: 0
// at EOF). EINTR and EAGAIN come back as errors, for the caller to retry or wait on.
Result<size_t> send_some(int sock, const void* data, size_t len) noexcept;
Result<size_t> recv_some(int sock, void* buf, size_t len) noexcept;
// SO_PEERCRED: the effective UID of the process at the other end.
Result<uid_t> peer_uid(int sock);
// From now on, the peer hanging up (or sending) raises sig in this process (O_ASYNC,
// F_SETSIG). Returns true if the peer had already hung up.
Result<bool> signal_on_hangup(int sock, int sig);

}  // namespace cordon::sys
