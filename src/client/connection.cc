#include "client/connection.h"
#include "sys/fs.h"

#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace cordon::client {
namespace {

constexpr int kTimeoutMs = 30000;
// A followed log sends nothing while the job is quiet, and a job may run for the tenant's
// longest timeout: the stream's reads wait a day before giving up.
constexpr int kStreamTimeoutMs = 24 * 3600 * 1000;

Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return sys_error("read token file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  // An editor's newline is not part of the token.
  while (!t.empty() &&
         (t.back() == '\n' || t.back() == '\r' || t.back() == ' ' || t.back() == '\t'))
    t.pop_back();
  if (t.empty()) return logic_error("read token file", path, "the file is empty");
  if (t.find_first_of("\r\n") != std::string::npos)
    return logic_error("read token file", path, "more than one line");
  return t;
}

}  // namespace

Result<Target> resolve_target(const ParsedArgs& args, const Getenv& getenv) {
  Target t;
  std::string url = args.get("--url");
  if (args.has("--socket")) {
    if (!url.empty()) return logic_error("usage", "--socket", "give --url or --socket, not both");
    url = "unix:" + args.get("--socket");
  }
  if (url.empty() && getenv("CORDON_URL") != nullptr) url = getenv("CORDON_URL");
  if (url.empty()) url = kDefaultSocket;
  ASSIGN_OR_RETURN(t.endpoint, parse_endpoint(url));
  t.where = url.rfind("unix:", 0) == 0 ? url.substr(5) : url;
  std::string ca = args.get("--ca");
  // The environment's CA applies to an https daemon only: with --socket or an http URL
  // it is not an error the user made on this command line.
  if (ca.empty() && t.endpoint.tls && getenv("CORDON_CA") != nullptr) ca = getenv("CORDON_CA");
  if (!ca.empty()) {
    if (!t.endpoint.tls) return logic_error("usage", "--ca", "a CA is for https:// URLs only");
    t.endpoint.ca_file = ca;
  }

  if (args.has("--token-file")) {
    ASSIGN_OR_RETURN(t.token, read_token_file(args.get("--token-file")));
  } else if (const char* env = getenv("CORDON_TOKEN"); env != nullptr && *env != '\0') {
    t.token = env;
  } else if (const char* home = getenv("HOME"); home != nullptr && *home != '\0') {
    std::string path = std::string(home) + "/.config/cordon/token";
    // Only when present: without one, root on the socket is the operator.
    if (sys::path_status(path, true).ok()) {
      ASSIGN_OR_RETURN(t.token, read_token_file(path));
    }
  }
  return t;
}

Headers Connection::headers(const std::string& content_type) const {
  Headers h = {{"Accept", "application/json"}};
  if (!content_type.empty()) h.emplace_back("Content-Type", content_type);
  if (!target_.token.empty()) h.emplace_back("Authorization", "Bearer " + target_.token);
  return h;
}

Error Connection::unreachable(Error e) const {
  if (e.path.empty()) e.path = target_.where;
  return e;
}

Result<Reply> Connection::call(const std::string& method, const std::string& path,
                               const std::string& body, const std::string& content_type,
                               size_t max_body) {
  if (!transport_) {
    auto t = Transport::create(target_.endpoint, kTimeoutMs);
    if (!t.ok()) return unreachable(std::move(t).error());
    transport_.emplace(std::move(t).value());
  }
  auto r = transport_->request(method, path, headers(body.empty() ? "" : content_type), body,
                               nullptr, max_body);
  if (!r.ok()) return unreachable(std::move(r).error());
  Reply out;
  out.status = r->status;
  out.body = std::move(r->body);
  out.json = nlohmann::json::parse(out.body, nullptr, false);
  return out;
}

std::string escape(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<Reply> Connection::stream(const std::string& path,
                                 const std::function<bool(std::string_view)>& on_chunk) {
  auto t = Transport::create(target_.endpoint, kStreamTimeoutMs);
  if (!t.ok()) return unreachable(std::move(t).error());
  auto r = t->request("GET", path, headers(""), "", on_chunk);
  if (!r.ok()) return unreachable(std::move(r).error());
  Reply out;
  out.status = r->status;
  out.body = std::move(r->body);  // a refusal's: the stream's bytes went to on_chunk
  out.json = nlohmann::json::parse(out.body, nullptr, false);
  return out;
}

}  // namespace cordon::client
