#include "registry/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

#include "base/text.h"

namespace cordon::registry {
namespace {

constexpr size_t kMaxRefusalBody = 64 * 1024;
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr int kMaxConnectMs = 30000;

bool is_clean(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

struct Sink {
  CURL* easy = nullptr;
  const BodySink* body_sink = nullptr;
  size_t max_body = 0;
  HttpResponse response;
  size_t header_bytes = 0;
  bool stopped = false;
  bool too_large = false;
  int streaming = -1;  // -1 undecided, 1 to the sink, 0 collected
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  if (line.substr(0, 5) == "HTTP/") {
    s->response.headers.clear();
    s->header_bytes = 0;
  }
  s->header_bytes += len;
  if (s->header_bytes > kMaxHeadBytes) return 0;
  if (auto field = http_field_line(line)) s->response.headers.push_back(std::move(*field));
  return len;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  size_t len = size * n;
  if (s->streaming < 0) {
    long status = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    bool ok = status >= 200 && status < 300;
    s->streaming = s->body_sink != nullptr && ok ? 1 : 0;
    if (!ok) s->max_body = kMaxRefusalBody;
    if (s->streaming == 1) {
      s->response.streamed = true;
      if (s->body_sink->on_start &&
          !s->body_sink->on_start(static_cast<int>(status), s->response.headers)) {
        s->stopped = true;
        return 0;
      }
    }
  }
  if (s->streaming == 1) {
    if (!s->body_sink->on_chunk(std::string_view(data, len))) {
      s->stopped = true;
      return 0;
    }
    return len;
  }
  if (len > s->max_body - std::min(s->max_body, s->response.body.size())) {
    s->too_large = true;
    return 0;
  }
  s->response.body.append(data, len);
  return len;
}

Status global_init() {
  static CURLcode rc = [] { return curl_global_init(CURL_GLOBAL_DEFAULT); }();
  if (rc != CURLE_OK) return logic_error("initialise libcurl", "", curl_easy_strerror(rc));
  return {};
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

std::string Url::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port);
}

Result<Url> parse_url(const std::string& url) {
  Url u;
  std::string_view v(url);
  if (!is_clean(v) || v.find_first_of(" \t") != std::string_view::npos)
    return logic_error("parse URL", url, "control characters or spaces in the URL");
  if (v.substr(0, 8) == "https://") {
    u.scheme = "https";
    u.port = 443;
    v.remove_prefix(8);
  } else if (v.substr(0, 7) == "http://") {
    u.scheme = "http";
    u.port = 80;
    v.remove_prefix(7);
  } else {
    return logic_error("parse URL", url, "only http:// and https:// URLs are followed");
  }
  std::string_view authority = v.substr(0, v.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos)
    return logic_error("parse URL", url, "credentials in a URL are refused");
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return logic_error("parse URL", url, "unclosed '['");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return logic_error("parse URL", url, "expected ':' after ']'");
      port = rest.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return logic_error("parse URL", url, "no host");
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
      return logic_error("parse URL", url, "bad port");
    u.port = std::stoi(std::string(port));
    if (u.port < 1 || u.port > 65535) return logic_error("parse URL", url, "port out of range");
  }
  for (char& c : u.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return u;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  if (host.rfind("127.", 0) != 0) return false;
  return host.find_first_not_of("0123456789.") == std::string::npos;
}

void HttpClient::EasyDeleter::operator()(void* easy) const {
  curl_easy_cleanup(static_cast<CURL*>(easy));
}

Result<HttpClient> HttpClient::create(std::string ca_file, int timeout_ms) {
  TRY(global_init());
  HttpClient c(std::move(ca_file), timeout_ms);
  c.easy_.reset(curl_easy_init());
  if (!c.easy_) return logic_error("initialise libcurl", "", "curl_easy_init failed");
  c.errbuf_ = std::make_unique<char[]>(CURL_ERROR_SIZE);
  CURL* e = static_cast<CURL*>(c.easy_.get());
  long timeout_s = std::max(1L, static_cast<long>(timeout_ms / 1000));
  bool ok = true;
  auto set = [&](CURLoption o, auto v) { ok = ok && curl_easy_setopt(e, o, v) == CURLE_OK; };
  set(CURLOPT_ERRORBUFFER, c.errbuf_.get());
  set(CURLOPT_PROTOCOLS_STR, "https,http");
  set(CURLOPT_PROXY, "");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(timeout_ms, kMaxConnectMs)));
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(CURLOPT_LOW_SPEED_TIME, timeout_s);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_USERAGENT, "cordon-registry-client");
  set(CURLOPT_WRITEFUNCTION, on_write);
  set(CURLOPT_HEADERFUNCTION, on_header);
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  // Bodies as sent: a blob is hashed as stored, never decoded by curl.
  set(CURLOPT_HTTP_CONTENT_DECODING, 0L);
  if (!c.ca_file_.empty()) set(CURLOPT_CAINFO, c.ca_file_.c_str());
  if (!ok) return logic_error("set up libcurl", "", "an option was refused");
  return c;
}

std::string HttpClient::escape(const std::string& s) const {
  char* out =
      curl_easy_escape(static_cast<CURL*>(easy_.get()), s.data(), static_cast<int>(s.size()));
  if (out == nullptr) return "";
  std::string r(out);
  curl_free(out);
  return r;
}

Result<HttpResponse> HttpClient::get(const std::string& url, const Headers& headers,
                                     size_t max_body, const BodySink* body_sink) {
  if (!is_clean(url)) return logic_error("HTTP GET", url, "bad URL");
  Slist list;
  auto append = [&](const std::string& line) {
    curl_slist* l = curl_slist_append(list.get(), line.c_str());
    if (l == nullptr) return false;
    (void)list.release();
    list.reset(l);
    return true;
  };
  for (const auto& [k, v] : headers) {
    if (k.empty() || !is_clean(k) || !is_clean(v) || k.find(':') != std::string::npos)
      return logic_error("HTTP GET", url, "bad header '" + k + "'");
    if (!append(k + ": " + v)) return logic_error("HTTP GET", url, "out of memory");
  }
  CURL* e = static_cast<CURL*>(easy_.get());
  Sink sink;
  sink.easy = e;
  sink.body_sink = body_sink;
  sink.max_body = max_body;
  bool ok = true;
  auto set = [&](CURLoption o, auto v) { ok = ok && curl_easy_setopt(e, o, v) == CURLE_OK; };
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_HTTPGET, 1L);
  set(CURLOPT_HTTPHEADER, list.get());
  set(CURLOPT_WRITEDATA, &sink);
  set(CURLOPT_HEADERDATA, &sink);
  if (!ok) return logic_error("HTTP GET", url, "libcurl refused an option");
  errbuf_[0] = '\0';
  CURLcode rc = curl_easy_perform(e);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, nullptr);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  std::string detail = errbuf_[0] != '\0' ? std::string(errbuf_.get()) : curl_easy_strerror(rc);
  if (sink.stopped) return logic_error("HTTP GET", url, "transfer stopped");
  if (sink.too_large)
    return logic_error("read HTTP response", url,
                       "body larger than " + std::to_string(sink.max_body) + " bytes");
  if (rc != CURLE_OK) {
    long os_errno = 0;
    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
    if (rc == CURLE_COULDNT_CONNECT && os_errno != 0)
      return errno_error(static_cast<int>(os_errno), "connect", url);
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
        rc == CURLE_SSL_CACERT_BADFILE)
      return logic_error("TLS handshake", url, detail);
    return logic_error("HTTP GET", url, detail);
  }
  sink.response.status = static_cast<int>(status);
  if (status >= 300 && status < 400) {
    char* location = nullptr;
    curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &location);
    if (location != nullptr) sink.response.redirect_url = location;
  }
  return std::move(sink.response);
}

}  // namespace cordon::registry
