#include "jobs/tokens.h"

#include <openssl/evp.h>

#include "sys/random.h"

namespace cordon::jobs {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string hex(const unsigned char* p, size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

}  // namespace

Result<std::string> new_token() {
  constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  ASSIGN_OR_RETURN(std::string raw, sys::random_bytes(32));
  std::string out = "cdt_";
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out += kB64[(acc >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits > 0) out += kB64[(acc << (6 - bits)) & 63];
  return out;
}

Result<std::string> new_id(const std::string& prefix, size_t hex_digits) {
  ASSIGN_OR_RETURN(std::string raw, sys::random_bytes((hex_digits + 1) / 2));
  return prefix +
         hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size()).substr(0, hex_digits);
}

std::string token_hash(const std::string& token) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  return hex(md, len);
}

}  // namespace cordon::jobs
