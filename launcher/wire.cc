#include "launcher/wire.h"

#include <cerrno>
#include <cstring>

namespace cordon::launcher {
namespace {

constexpr char kRequestMagic[4] = {'C', 'D', 'L', '1'};
constexpr char kReplyMagic[4] = {'C', 'D', 'R', '1'};
constexpr char kStartedMagic[4] = {'C', 'D', 'S', '1'};

Error bad(const std::string& why) {
  return errno_error(EPROTO, "launcher request", why);
}

void put_u32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  Result<uint32_t> u32() {
    if (b_.size() - pos_ < 4) return bad("truncated");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(static_cast<uint8_t>(b_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return v;
  }
  Result<std::string> str() {
    ASSIGN_OR_RETURN(uint32_t len, u32());
    if (len > b_.size() - pos_) return bad("string past the end");
    std::string s(b_.substr(pos_, len));
    pos_ += len;
    if (s.find('\0') != std::string::npos) return bad("NUL inside a string");
    return s;
  }
  Result<std::vector<std::string>> strings(const char* what) {
    ASSIGN_OR_RETURN(uint32_t n, u32());
    if (n > kMaxStrings) return bad(std::string("too many ") + what);
    std::vector<std::string> v;
    v.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(std::string s, str());
      v.push_back(std::move(s));
    }
    return v;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  size_t pos_ = 4;  // after the magic
};

}  // namespace

Result<std::string> encode_request(const Request& r) {
  if (r.args.size() > kMaxStrings || r.env.size() > kMaxStrings)
    return errno_error(E2BIG, "launcher request", "too many arguments or variables");
  std::string out(kRequestMagic, 4);
  auto strings = [&](const std::vector<std::string>& v) {
    put_u32(&out, static_cast<uint32_t>(v.size()));
    for (const auto& s : v) {
      put_u32(&out, static_cast<uint32_t>(s.size()));
      out += s;
    }
  };
  strings(r.args);
  strings(r.env);
  put_u32(&out, static_cast<uint32_t>(r.cwd.size()));
  out += r.cwd;
  if (out.size() > kMaxRequestBytes)
    return errno_error(E2BIG, "launcher request",
                       "over " + std::to_string(kMaxRequestBytes) + " bytes");
  return out;
}

Result<Request> decode_request(std::string_view bytes) {
  if (bytes.size() > kMaxRequestBytes) return bad("too large");
  if (bytes.size() < 4 || std::memcmp(bytes.data(), kRequestMagic, 4) != 0)
    return bad("not a launcher request");
  Reader rd(bytes);
  Request r;
  ASSIGN_OR_RETURN(r.args, rd.strings("arguments"));
  ASSIGN_OR_RETURN(r.env, rd.strings("variables"));
  ASSIGN_OR_RETURN(r.cwd, rd.str());
  if (!rd.done()) return bad("bytes after the end");
  if (r.cwd.empty() || r.cwd[0] != '/') return bad("cwd is not absolute");
  for (const auto& e : r.env)
    if (e.find('=') == std::string::npos) return bad("environment entry without '='");
  return r;
}

std::string encode_reply(int32_t status) {
  std::string out(kReplyMagic, 4);
  put_u32(&out, static_cast<uint32_t>(status));
  return out;
}

Result<int32_t> decode_reply(std::string_view bytes) {
  if (bytes.size() != 8 || std::memcmp(bytes.data(), kReplyMagic, 4) != 0)
    return errno_error(EPROTO, "launcher reply", "malformed");
  Reader rd(bytes);
  ASSIGN_OR_RETURN(uint32_t v, rd.u32());
  return static_cast<int32_t>(v);
}

std::string encode_started(int32_t pid) {
  std::string out(kStartedMagic, 4);
  put_u32(&out, static_cast<uint32_t>(pid));
  return out;
}

bool decode_started(std::string_view bytes, int32_t* pid) {
  if (bytes.size() != 8 || std::memcmp(bytes.data(), kStartedMagic, 4) != 0) return false;
  Reader rd(bytes);
  auto v = rd.u32();
  if (!v.ok() || static_cast<int32_t>(*v) <= 0) return false;
  *pid = static_cast<int32_t>(*v);
  return true;
}

}  // namespace cordon::launcher
