// HTTP GET over libcurl for the registry client: full URLs (a registry, its token realm
// and the storage a blob redirects to are different servers), TLS verified against the
// system's CAs or a given CA file, no proxy from the environment, no netrc, and no
// redirects followed by curl: the caller follows them itself, so that it decides which
// server gets the registry's credentials (only the registry itself).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cordon::registry {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  Headers headers;           // of the final response, names lowercased
  std::string body;          // collected (bounded) unless streamed to the caller
  std::string redirect_url;  // a 3xx's Location, made absolute
  bool streamed = false;     // the body went to on_chunk
  std::string header(std::string_view name) const;  // the first of that name, or ""
};

// Called once when a 2xx body starts (status and headers known), then for each piece of
// it. Returning false stops the transfer: the request then fails with `stopped`.
struct BodySink {
  std::function<bool(int status, const Headers& headers)> on_start;
  std::function<bool(std::string_view data)> on_chunk;
};

// The parts of an absolute http(s) URL the client's policies look at.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  int port = 0;
  std::string origin() const;  // scheme://host:port
};
Result<Url> parse_url(const std::string& url);
// localhost, 127.0.0.0/8 or ::1: where plain HTTP may be allowed on explicit opt-in.
bool is_loopback_host(const std::string& host);

class HttpClient {
 public:
  // ca_file: PEM CAs to trust (empty: the system's). timeout_ms bounds the connect and any
  // silence of the server.
  static Result<HttpClient> create(std::string ca_file, int timeout_ms);

  // One GET. A 2xx body goes to sink when given, else is collected up to max_body (an
  // error beyond); any other status's body is collected up to 64 KiB. An error means the
  // server could not be reached or the exchange broke off (or the sink stopped it).
  Result<HttpResponse> get(const std::string& url, const Headers& headers, size_t max_body,
                           const BodySink* sink = nullptr);

  // curl's %-escape of a query parameter.
  std::string escape(const std::string& s) const;

 private:
  struct EasyDeleter {
    void operator()(void* easy) const;
  };
  HttpClient(std::string ca_file, int timeout_ms)
      : ca_file_(std::move(ca_file)), timeout_ms_(timeout_ms) {}
  std::string ca_file_;
  int timeout_ms_;
  std::unique_ptr<void, EasyDeleter> easy_;
  std::unique_ptr<char[]> errbuf_;
};

}  // namespace cordon::registry
