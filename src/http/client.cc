#include "http/client.h"

#include <algorithm>
#include <cctype>

#include "sys/socket.h"

namespace cordon::http {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

// A header value or target may carry no CR, LF or NUL: one would smuggle in a header.
bool is_clean(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Error bad_endpoint(const std::string& s, const std::string& why) {
  return logic_error("parse endpoint", "'" + s + "'", why);
}

}  // namespace

Result<Endpoint> parse_endpoint(const std::string& s) {
  Endpoint ep;
  std::string_view v(s);
  if (v.substr(0, 5) == "unix:" || v.substr(0, 1) == "/") {
    ep.unix_path = std::string(v.substr(0, 5) == "unix:" ? v.substr(5) : v);
    if (ep.unix_path.empty() || ep.unix_path[0] != '/')
      return bad_endpoint(s, "a Unix socket path must be absolute");
    if (ep.unix_path.size() >= 108) return bad_endpoint(s, "the Unix socket path is too long");
    if (ep.unix_path.find('\0') != std::string::npos)
      return bad_endpoint(s, "a NUL in the Unix socket path");
    return ep;
  }
  if (v.substr(0, 7) == "http://") {
    v.remove_prefix(7);
    ep.port = 80;
  } else if (v.substr(0, 8) == "https://") {
    v.remove_prefix(8);
    ep.tls = true;
    ep.port = 443;
  } else {
    return bad_endpoint(s, "expected unix:/path, /path, http://host:port or https://host:port");
  }
  if (!v.empty() && v.back() == '/') v.remove_suffix(1);  // "http://h:1/" is still h:1
  if (v.find('/') != std::string_view::npos) return bad_endpoint(s, "an endpoint has no path");
  std::string_view port;
  if (!v.empty() && v[0] == '[') {
    size_t close = v.find(']');
    if (close == std::string_view::npos) return bad_endpoint(s, "unclosed '[' in the host");
    ep.host = std::string(v.substr(1, close - 1));
    std::string_view after = v.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad_endpoint(s, "expected ':' after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return bad_endpoint(s, "empty port");
    }
    if (ep.host.empty() ||
        ep.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos)
      return bad_endpoint(s, "bad IPv6 address");
  } else {
    size_t colon = v.rfind(':');
    ep.host = std::string(v.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = v.substr(colon + 1);
      if (port.empty()) return bad_endpoint(s, "empty port");
    }
    if (ep.host.empty()) return bad_endpoint(s, "no host");
    for (char c : ep.host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
        return bad_endpoint(s, "bad character in the host name");
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
      return bad_endpoint(s, "bad port");
    int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) return bad_endpoint(s, "port out of range");
    ep.port = p;
  }
  return ep;
}

Result<Client> Client::connect(const Endpoint& ep, int timeout_ms) {
  std::shared_ptr<TlsContext> tls;
  if (ep.tls) {
    ASSIGN_OR_RETURN(tls, tls_client_context(ep.ca_file));
  }
  Client c(ep, timeout_ms, std::move(tls));
  TRY(c.open());
  return c;
}

std::string Client::where() const {
  if (!ep_.unix_path.empty()) return ep_.unix_path;
  std::string host = ep_.host.find(':') != std::string::npos ? "[" + ep_.host + "]" : ep_.host;
  return std::string(ep_.tls ? "https://" : "http://") + host + ":" + std::to_string(ep_.port);
}

Status Client::open() {
  conn_.close();
  served_ = 0;
  if (!ep_.unix_path.empty()) {
    ASSIGN_OR_RETURN(UniqueFd fd, sys::connect_unix_stream(ep_.unix_path));
    conn_ = Conn(std::move(fd));
  } else {
    ASSIGN_OR_RETURN(UniqueFd fd, sys::connect_tcp(ep_.host, ep_.port, timeout_ms_));
    conn_ = Conn(std::move(fd));
  }
  if (tls_) {
    Status st = conn_.connect_tls(*tls_, ep_.host.empty() ? "localhost" : ep_.host, timeout_ms_);
    if (!st.ok()) {
      conn_.close();
      return st;
    }
  }
  return {};
}

Result<ClientResponse> Client::request(
    const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    const std::function<bool(std::string_view)>& on_chunk, size_t max_body) {
  if (!is_token(method)) return logic_error("HTTP request", where(), "bad method '" + method + "'");
  if (target.empty() || !is_clean(target) || target.find_first_of(" \t") != std::string::npos)
    return logic_error("HTTP request", where(), "bad target '" + target + "'");
  bool have_host = false;
  for (const auto& [k, v] : headers) {
    if (!is_token(k) || !is_clean(v))
      return logic_error("HTTP request", where(), "bad header '" + k + "'");
    if (iequals(k, "content-length") || iequals(k, "transfer-encoding"))
      return logic_error("HTTP request", where(), "the client sets " + k + " itself");
    if (iequals(k, "host")) have_host = true;
  }

  std::string text = method + " " + target + " HTTP/1.1\r\n";
  if (!have_host) {
    std::string host =
        ep_.unix_path.empty()
            ? (ep_.host.find(':') != std::string::npos ? "[" + ep_.host + "]" : ep_.host) + ":" +
                  std::to_string(ep_.port)
            : "localhost";
    text += "Host: " + host + "\r\n";
  }
  for (const auto& [k, v] : headers) text += k + ": " + v + "\r\n";
  // Methods that carry no content go without a Content-Length when they have none.
  bool bodiless = method == "GET" || method == "HEAD" || method == "DELETE" || method == "OPTIONS";
  if (!body.empty() || !bodiless) text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  text += "\r\n";
  text += body;

  // A kept-alive connection that turned readable while idle was closed by the server (its
  // idle timeout, its request limit): open another rather than fail on it.
  if (!conn_.valid() || (served_ > 0 && conn_.idle_readable())) TRY(open());
  if (!conn_.write_all(text, timeout_ms_)) {
    conn_.close();
    return errno_error(EPIPE, "send HTTP request", where());
  }

  ResponseParser parser(method == "HEAD");
  ClientResponse out;
  std::string piece;
  char buf[16384];
  for (;;) {
    auto n = conn_.read(buf, sizeof(buf), timeout_ms_);
    if (!n.ok()) {
      conn_.close();
      Error e = std::move(n).error();
      e.step = "read HTTP response (" + e.step + ")";
      e.path = where();
      return e;
    }
    size_t used = 0;
    auto st = *n == 0 ? parser.finish() : parser.feed(std::string_view(buf, *n), &used, &piece);
    if (st == ResponseParser::State::kError) {
      conn_.close();
      return logic_error("read HTTP response", where(), parser.error());
    }
    bool stopped = false;
    if (!piece.empty()) {
      if (on_chunk) {
        stopped = !on_chunk(piece);
      } else if (piece.size() > max_body - std::min(max_body, out.body.size())) {
        conn_.close();
        return logic_error("read HTTP response", where(),
                           "body larger than " + std::to_string(max_body) + " bytes");
      } else {
        out.body += piece;
      }
      piece.clear();
    }
    if (stopped) {
      conn_.close();  // the rest of the body is still coming: this connection is spent
      break;
    }
    if (st == ResponseParser::State::kDone) {
      // Bytes after the response were never asked for: the connection is out of step.
      if (*n == 0 || used < *n || parser.must_close()) conn_.close();
      break;
    }
  }
  out.status = parser.response().status;
  out.headers = parser.response().headers;
  ++served_;
  return out;
}

}  // namespace cordon::http
