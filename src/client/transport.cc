#include "client/transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <mutex>

#include "base/text.h"

namespace cordon::client {
namespace {

// A refusal's body read from a stream: enough for the daemon's error object.
constexpr size_t kMaxStreamRefusal = 64 * 1024;
// The longest wait for a connection (TLS handshake included), whatever timeout_ms says.
constexpr int kMaxConnectMs = 30000;

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

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

// Where one request's body goes: collected, or passed on (a 2xx body with on_chunk set).
struct Sink {
  CURL* easy = nullptr;
  const std::function<bool(std::string_view)>* on_chunk = nullptr;
  size_t max_body = 0;
  std::string body;
  Headers headers;
  size_t header_bytes = 0;
  bool stopped = false;    // on_chunk said no more
  bool too_large = false;  // the body passed max_body
  int streaming = -1;      // -1: not decided yet; 1: to on_chunk; 0: collected
};

// A response's head, line by line: a status line starts a new response (an interim 100
// or a response after a redirect is forgotten), a "Name: value" line is kept. Bounded:
// a head over kMaxHeadBytes ends the request.
constexpr size_t kMaxHeadBytes = 64 * 1024;

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  if (line.substr(0, 5) == "HTTP/") {
    s->headers.clear();
    s->header_bytes = 0;
  }
  s->header_bytes += len;
  if (s->header_bytes > kMaxHeadBytes) return 0;
  if (auto field = http_field_line(line)) s->headers.push_back(std::move(*field));
  return len;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  size_t len = size * n;
  if (s->streaming < 0) {
    // The head is in by the first body byte: a refusal is collected, not streamed.
    long status = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    s->streaming = *s->on_chunk != nullptr && status >= 200 && status < 300 ? 1 : 0;
    if (s->streaming == 0 && *s->on_chunk != nullptr) s->max_body = kMaxStreamRefusal;
  }
  if (s->streaming == 1) {
    if (!(*s->on_chunk)(std::string_view(data, len))) {
      s->stopped = true;
      return 0;  // CURLE_WRITE_ERROR: curl closes the connection
    }
    return len;
  }
  if (len > s->max_body - std::min(s->max_body, s->body.size())) {
    s->too_large = true;
    return 0;
  }
  s->body.append(data, len);
  return len;
}

// Once per process, before any handle: curl_global_init is not thread-safe.
Status global_init() {
  static CURLcode rc = [] { return curl_global_init(CURL_GLOBAL_DEFAULT); }();
  if (rc != CURLE_OK) return logic_error("initialise libcurl", "", curl_easy_strerror(rc));
  return {};
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

std::string endpoint_text(const Endpoint& ep) {
  if (!ep.unix_path.empty()) return ep.unix_path;
  std::string host = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
  return std::string(ep.tls ? "https://" : "http://") + host + ":" + std::to_string(ep.port);
}

void Transport::EasyDeleter::operator()(void* easy) const {
  curl_easy_cleanup(static_cast<CURL*>(easy));
}

Result<Transport> Transport::create(Endpoint ep, int timeout_ms) {
  TRY(global_init());
  Transport t(std::move(ep), timeout_ms);
  TRY(t.setup());
  return t;
}

// The options every request of this handle shares.
Status Transport::setup() {
  easy_.reset(curl_easy_init());
  if (!easy_) return logic_error("initialise libcurl", "", "curl_easy_init failed");
  errbuf_ = std::make_unique<char[]>(CURL_ERROR_SIZE);
  errbuf_[0] = '\0';
  CURL* e = static_cast<CURL*>(easy_.get());
  // "localhost" on the socket: the Host header the daemon sees, as before.
  base_url_ = ep_.unix_path.empty() ? endpoint_text(ep_) : "http://localhost";
  long timeout_s = std::max(1L, static_cast<long>(timeout_ms_ / 1000));
  bool ok = true;
  auto set = [&](CURLoption o, auto v) { ok = ok && curl_easy_setopt(e, o, v) == CURLE_OK; };
  set(CURLOPT_ERRORBUFFER, errbuf_.get());
  if (!ep_.unix_path.empty()) set(CURLOPT_UNIX_SOCKET_PATH, ep_.unix_path.c_str());
  set(CURLOPT_PROTOCOLS_STR, ep_.tls ? "https" : "http");
  set(CURLOPT_PROXY, "");  // never http_proxy & co: the token goes to the daemon only
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
  // The target as built (escaped): a file's "a/../b" is the daemon's to judge, not curl's.
  set(CURLOPT_PATH_AS_IS, 1L);
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  // A stream may wait a day for its next byte, but a daemon that is not there is known
  // within the usual bound.
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(timeout_ms_, kMaxConnectMs)));
  // Silence for timeout_ms (under a byte a second for that long) ends the request.
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(CURLOPT_LOW_SPEED_TIME, timeout_s);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_WRITEFUNCTION, on_write);
  set(CURLOPT_HEADERFUNCTION, on_header);
  if (ep_.tls) {
    set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    if (!ep_.ca_file.empty()) set(CURLOPT_CAINFO, ep_.ca_file.c_str());
  }
  if (!ok) return logic_error("set up libcurl", endpoint_text(ep_), "an option was refused");
  return {};
}

Result<Response> Transport::request(const std::string& method, const std::string& target,
                                    const Headers& headers, const std::string& body,
                                    const std::function<bool(std::string_view)>& on_chunk,
                                    size_t max_body) {
  std::string where = endpoint_text(ep_);
  if (!is_token(method)) return logic_error("HTTP request", where, "bad method '" + method + "'");
  if (target.empty() || target[0] != '/' || !is_clean(target) ||
      target.find_first_of(" \t") != std::string::npos)
    return logic_error("HTTP request", where, "bad target '" + target + "'");
  Slist list;
  auto append = [&](const std::string& line) {
    curl_slist* l = curl_slist_append(list.get(), line.c_str());
    if (l != nullptr) {
      (void)list.release();
      list.reset(l);
    }
    return l != nullptr;
  };
  bool have_type = false;
  for (const auto& [k, v] : headers) {
    if (!is_token(k) || !is_clean(v))
      return logic_error("HTTP request", where, "bad header '" + k + "'");
    if (iequals(k, "content-length") || iequals(k, "transfer-encoding") || iequals(k, "host"))
      return logic_error("HTTP request", where, "the transport sets " + k + " itself");
    have_type = have_type || iequals(k, "content-type");
    // "Name;" is curl's way to send a header with an empty value.
    if (!append(v.empty() ? k + ";" : k + ": " + v))
      return logic_error("HTTP request", where, "out of memory");
  }
  // No "Expect: 100-continue" round trip before a big body, and no form type of curl's
  // when the caller named none.
  if (!append("Expect:") || (!have_type && !append("Content-Type:")))
    return logic_error("HTTP request", where, "out of memory");

  CURL* e = static_cast<CURL*>(easy_.get());
  std::string url = base_url_ + target;
  Sink sink;
  sink.easy = e;
  sink.on_chunk = &on_chunk;
  sink.max_body = max_body;
  // The same handle serves one request after another: every per-request option is set.
  bool ok = true;
  auto set = [&](CURLoption o, auto v) { ok = ok && curl_easy_setopt(e, o, v) == CURLE_OK; };
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_HTTPHEADER, list.get());
  set(CURLOPT_WRITEDATA, &sink);
  set(CURLOPT_HEADERDATA, &sink);
  set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(on_chunk ? 0 : max_body));
  if (method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    set(CURLOPT_HTTPGET, 1L);  // also clears NOBODY and any body of the last request
    // Methods that carry content send a Content-Length even when it is 0.
    bool bodiless = method == "GET" || method == "DELETE" || method == "OPTIONS";
    if (!body.empty() || !bodiless) {
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      set(CURLOPT_POSTFIELDS, body.data());
    }
  }
  set(CURLOPT_CUSTOMREQUEST,
      method == "GET" || method == "POST" || method == "HEAD" ? nullptr : method.c_str());
  if (!ok) return logic_error("HTTP request", where, "libcurl refused an option");

  errbuf_[0] = '\0';
  CURLcode rc = curl_easy_perform(e);
  // Nothing of this request may outlive it in the handle.
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, nullptr);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  std::string detail = errbuf_[0] != '\0' ? std::string(errbuf_.get()) : curl_easy_strerror(rc);
  if (rc == CURLE_WRITE_ERROR && sink.stopped) rc = CURLE_OK;
  if (rc == CURLE_OK)
    return Response{static_cast<int>(status), std::move(sink.headers), std::move(sink.body)};

  if ((rc == CURLE_WRITE_ERROR && sink.too_large) || rc == CURLE_FILESIZE_EXCEEDED)
    return logic_error("read HTTP response", where,
                       "body larger than " + std::to_string(max_body) + " bytes");
  long os_errno = 0;
  curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
      // The system's reason, as a failed connect(2) says it: ENOENT, ECONNREFUSED...
      if (os_errno != 0) return errno_error(static_cast<int>(os_errno), "connect", where);
      return logic_error("connect", where, detail);
    case CURLE_COULDNT_RESOLVE_HOST:
      return logic_error("resolve", ep_.host, detail);
    case CURLE_OPERATION_TIMEDOUT:
      return logic_error(
          "HTTP request", where,
          "no answer within " + std::to_string(timeout_ms_ / 1000) + " s (" + detail + ")");
    case CURLE_SSL_CACERT_BADFILE:
      return logic_error("load TLS CA certificates", ep_.ca_file.empty() ? "(system)" : ep_.ca_file,
                         detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
      return logic_error("TLS handshake", ep_.host, detail);
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
      return logic_error("read HTTP response", where, detail);
    case CURLE_SEND_ERROR:
      return logic_error("send HTTP request", where, detail);
    default:
      return logic_error("HTTP request", where, detail);
  }
}

std::string Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

}  // namespace cordon::client
