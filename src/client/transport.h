// The client's HTTP transport, on libcurl: the daemon's API over its Unix socket, over
// TCP or over TLS (verified against the system's CAs or a given CA file; TLS 1.2 at
// least). One easy handle per Transport, so that its connection is kept alive between
// requests; bodies collected whole (bounded) or passed on as they arrive (streams).
// No proxy from the environment, no redirects, no netrc: requests go to the daemon named
// and nowhere else, with the bearer token only there.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cordon::client {

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

// The endpoint as a URL without a path ("http://[::1]:8080"), or the socket's path.
std::string endpoint_text(const Endpoint& ep);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  int status = 0;
  Headers headers;  // of the final response, names lowercased, in the order they came
  // The body collected. For a streamed request only a refusal's (status not 2xx) is kept
  // here, bounded, instead of being passed to on_chunk.
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
  // The first header of that (lowercase) name, or empty.
  std::string header(std::string_view name) const;
};

class Transport {
 public:
  // No I/O yet: the connection is made by the first request and kept for the next ones
  // (a new one when the server closed it). timeout_ms bounds the connect (TLS handshake
  // included; 30 s at most) and every silence of the server afterwards (no byte for that
  // long).
  static Result<Transport> create(Endpoint ep, int timeout_ms = 30000);

  // One request. With on_chunk set, a 2xx body is passed piece by piece as it arrives and
  // not kept; on_chunk returning false stops reading (the connection is then closed) and
  // the request is still a success. Without it the body is collected, up to max_body
  // (an error beyond). Host, Content-Length and Transfer-Encoding are the transport's;
  // headers and target may carry no CR, LF or NUL. An error means the daemon could not be
  // reached or the exchange broke off; a refusal is a Response with its status.
  Result<Response> request(const std::string& method, const std::string& target,
                           const Headers& headers, const std::string& body,
                           const std::function<bool(std::string_view)>& on_chunk = nullptr,
                           size_t max_body = 256u << 20);

  const Endpoint& endpoint() const { return ep_; }

 private:
  struct EasyDeleter {
    void operator()(void* easy) const;
  };

  Transport(Endpoint ep, int timeout_ms) : ep_(std::move(ep)), timeout_ms_(timeout_ms) {}
  Status setup();

  Endpoint ep_;
  int timeout_ms_;
  std::string base_url_;                     // scheme and authority; the target follows
  std::unique_ptr<void, EasyDeleter> easy_;  // the CURL*, kept: its connection is reused
  std::unique_ptr<char[]> errbuf_;           // CURLOPT_ERRORBUFFER: fixed address, moved with us
};

}  // namespace cordon::client
