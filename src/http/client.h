// An HTTP/1.1 client for the daemon's API (the CLI's side): over its Unix socket, over TCP
// or over TLS; one request at a time on a connection kept alive between requests; bodies
// collected whole (bounded) or passed on piece by piece as they arrive (streams).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "http/conn.h"
#include "http/response_parser.h"
#include "http/tls.h"

namespace cordon::http {

struct Endpoint {
  std::string unix_path;  // set: a Unix socket, and host/port/tls are unused
  std::string host;       // a name or an IP literal (IPv6 without brackets)
  int port = 0;
  bool tls = false;
  std::string ca_file;  // for tls: the CAs to trust (PEM); empty: the system's
};

// "unix:/path" or a path starting with '/', "http://host:port", "https://host:port" (the
// port defaults to 80 or 443; IPv6 as [addr]); errors name the input.
Result<Endpoint> parse_endpoint(const std::string& s);

class Client {
 public:
  // Connects (and for TLS does the handshake, verifying the server); timeout_ms bounds
  // the connect, the handshake, and every wait for the server afterwards.
  static Result<Client> connect(const Endpoint& ep, int timeout_ms = 30000);

  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One request on the connection (a new connection when the server closed the last one).
  // With on_chunk set, the body (chunked or with Content-Length) is passed piece by piece as
  // it arrives (pieces need not match the server's chunks) and not kept in body; on_chunk
  // returning false stops reading (the connection is then closed). Without it the body is
  // collected, up to max_body (error beyond). Host and Content-Length are set here; the
  // caller's headers must not set Content-Length or Transfer-Encoding.
  Result<ClientResponse> request(const std::string& method, const std::string& target,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 const std::string& body,
                                 const std::function<bool(std::string_view)>& on_chunk = nullptr,
                                 size_t max_body = 256u << 20);

  const Endpoint& endpoint() const { return ep_; }

 private:
  Client(Endpoint ep, int timeout_ms, std::shared_ptr<TlsContext> tls)
      : ep_(std::move(ep)), timeout_ms_(timeout_ms), tls_(std::move(tls)) {}
  Status open();
  std::string where() const;  // the endpoint, for errors

  Endpoint ep_;
  int timeout_ms_;
  std::shared_ptr<TlsContext> tls_;
  Conn conn_;
  int served_ = 0;  // responses read on conn_
};

}  // namespace cordon::http
