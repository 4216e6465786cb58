#include "launcher/wire.h"

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/json_strict.h"
#include "spec/spec_json.h"
#include "sys/socket.h"

namespace cordon::launcher {
namespace {

constexpr char kRequestMagic[4] = {'C', 'D', 'L', '2'};
constexpr char kReplyMagic[4] = {'C', 'D', 'R', '2'};
constexpr char kStartedMagic[4] = {'C', 'D', 'S', '1'};
constexpr size_t kHeader = 8;  // magic and total
constexpr size_t kMaxRequestDepth = 10;  // the spec's depth (spec_json.cc) and one
constexpr size_t kMaxEnvValue = 256;

Error bad(const char* what, const std::string& why) {
  return errno_error(EPROTO, what, why);
}

void put_u32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t get_u32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
  return v;
}

std::string header(const char magic[4], size_t body) {
  std::string out(magic, 4);
  put_u32(&out, static_cast<uint32_t>(kHeader + body));
  return out;
}

// The header's checks: the magic, and a total that is the message's length.
Status check_header(std::string_view b, const char magic[4], size_t max, const char* what) {
  if (b.size() > max) return bad(what, "too large");
  if (b.size() < kHeader || std::memcmp(b.data(), magic, 4) != 0) return bad(what, "not one");
  if (get_u32(b, 4) != b.size()) return bad(what, "its length is not its size");
  return {};
}

bool printable_value(const std::string& s) {
  if (s.size() > kMaxEnvValue) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

Result<std::string> encode_request(const Request& r) {
  nlohmann::json j = {{"spec", spec::to_json(r.spec)}, {"term", r.term}, {"lang", r.lang}};
  std::string body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (kHeader + body.size() > kMaxRequestBytes)
    return errno_error(E2BIG, "launcher request",
                       "over " + std::to_string(kMaxRequestBytes) + " bytes");
  return header(kRequestMagic, body.size()) + body;
}

Result<Request> decode_request(std::string_view bytes) {
  TRY(check_header(bytes, kRequestMagic, kMaxRequestBytes, "launcher request"));
  // Strict, as every spec's text is read (a duplicate key is refused).
  JsonError error;
  auto parsed = parse_json_strict(bytes.substr(kHeader), kMaxRequestDepth, &error);
  if (!parsed) return bad("launcher request", error.message);
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return bad("launcher request", "not a JSON object");
  Request r;
  for (const auto& [k, v] : j.items()) {
    if (k == "spec") continue;
    if (k != "term" && k != "lang") return bad("launcher request", "unknown field " + k);
    if (!v.is_string() || !printable_value(v.get<std::string>()))
      return bad("launcher request", k + " must be a short printable string");
    (k == "term" ? r.term : r.lang) = v.get<std::string>();
  }
  if (!j.contains("spec")) return bad("launcher request", "no spec");
  auto s = spec::spec_from_json(j["spec"]);
  if (!s.ok()) return std::move(s).error();
  r.spec = std::move(s).value();
  return r;
}

std::string encode_reply(const Reply& r) {
  std::string out = header(kReplyMagic, 4 + r.result_json.size());
  put_u32(&out, static_cast<uint32_t>(r.status));
  return out + r.result_json;
}

Result<Reply> decode_reply(std::string_view bytes) {
  TRY(check_header(bytes, kReplyMagic, kMaxReplyBytes, "launcher reply"));
  if (bytes.size() < kHeader + 4) return bad("launcher reply", "no status");
  Reply r;
  r.status = static_cast<int32_t>(get_u32(bytes, kHeader));
  r.result_json = std::string(bytes.substr(kHeader + 4));
  return r;
}

std::string encode_started(int32_t pid) {
  std::string out(kStartedMagic, 4);
  put_u32(&out, static_cast<uint32_t>(pid));
  return out;
}

bool decode_started(std::string_view bytes, int32_t* pid) {
  if (bytes.size() != 8 || std::memcmp(bytes.data(), kStartedMagic, 4) != 0) return false;
  int32_t v = static_cast<int32_t>(get_u32(bytes, 4));
  if (v <= 0) return false;
  *pid = v;
  return true;
}

Status send_message(int sock, std::string_view bytes, const std::vector<int>& fds) {
  for (size_t at = 0; at < bytes.size(); at += kPieceBytes) {
    size_t n = std::min(kPieceBytes, bytes.size() - at);
    TRY(sys::send_msg(sock, bytes.data() + at, n, at == 0 ? fds : std::vector<int>{}));
  }
  return {};
}

Result<std::string> recv_message(int sock, size_t max, std::vector<UniqueFd>* fds) {
  std::string out(kPieceBytes, '\0');
  ASSIGN_OR_RETURN(size_t n, sys::recv_msg(sock, out.data(), out.size(), fds));
  out.resize(n);
  if (n == 0) return out;
  int32_t pid = 0;
  if (n < kHeader || decode_started(out, &pid))
    return out;  // a started message, or too short to have a total: the decoder says
  uint32_t total = get_u32(out, 4);
  if (total > max || total < n) return errno_error(EPROTO, "launcher message", "bad length");
  while (out.size() < total) {
    size_t have = out.size();
    out.resize(std::min<size_t>(total, have + kPieceBytes));
    ASSIGN_OR_RETURN(size_t m, sys::recv_msg(sock, out.data() + have, out.size() - have, nullptr));
    if (m == 0) return errno_error(ECONNRESET, "launcher message", "cut short");
    out.resize(have + m);
  }
  return out;
}

}  // namespace cordon::launcher
