#include "api/cursor.h"

#include <openssl/evp.h>

#include <memory>

namespace cordon::api {
namespace {

constexpr size_t kPlainBytes = 8;
constexpr size_t kTagBytes = 16;
constexpr size_t kRawBytes = kCursorNonceBytes + kPlainBytes + kTagBytes;
static_assert(kRawBytes * 4 / 3 == kCursorChars && kRawBytes % 3 == 0);
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// Bound with the scope into the tag: a cursor is for this purpose and this format only.
constexpr std::string_view kContext = "cordon jobs cursor 1\n";

using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Whole groups of 3 bytes only (all this file needs).
std::string base64url(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i + 3 <= raw.size(); i += 3) {
    uint32_t n =
        (uint32_t{bytes(raw)[i]} << 16) | (uint32_t{bytes(raw)[i + 1]} << 8) | bytes(raw)[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += kB64[(n >> shift) & 63];
  }
  return out;
}

std::optional<std::string> unbase64url(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t n = 0;
    for (size_t j = 0; j < 4; ++j) {
      int v = value(text[i + j]);
      if (v < 0) return std::nullopt;
      n = (n << 6) | static_cast<uint32_t>(v);
    }
    out += static_cast<char>(n >> 16);
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
  }
  return out;
}

// Authenticated data: the context and the scope.
bool add_aad(EVP_CIPHER_CTX* ctx, std::string_view scope, bool encrypt) {
  std::string aad = std::string(kContext) + std::string(scope);
  int len = 0;
  return (encrypt ? EVP_EncryptUpdate(ctx, nullptr, &len, bytes(aad), static_cast<int>(aad.size()))
                  : EVP_DecryptUpdate(ctx, nullptr, &len, bytes(aad),
                                      static_cast<int>(aad.size()))) == 1;
}

}  // namespace

std::string encode_cursor(std::string_view key, int64_t position, std::string_view scope,
                          std::string_view nonce) {
  if (key.size() != kCursorKeyBytes || nonce.size() != kCursorNonceBytes || position < 0) return "";
  unsigned char plain[kPlainBytes];
  for (size_t i = 0; i < kPlainBytes; ++i)
    plain[i] = static_cast<unsigned char>(static_cast<uint64_t>(position) >> (56 - 8 * i));
  unsigned char out[kPlainBytes + 16];
  unsigned char tag[kTagBytes];
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0, end = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kCursorNonceBytes),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) != 1 ||
      !add_aad(ctx.get(), scope, true) ||
      EVP_EncryptUpdate(ctx.get(), out, &len, plain, kPlainBytes) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &end) != 1 || len + end != kPlainBytes ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag) != 1)
    return "";
  std::string raw(nonce);
  raw.append(reinterpret_cast<const char*>(out), kPlainBytes);
  raw.append(reinterpret_cast<const char*>(tag), kTagBytes);
  return base64url(raw);
}

std::optional<int64_t> decode_cursor(std::string_view key, std::string_view cursor,
                                     std::string_view scope) {
  if (key.size() != kCursorKeyBytes || cursor.size() != kCursorChars) return std::nullopt;
  auto raw = unbase64url(cursor);
  if (!raw || raw->size() != kRawBytes) return std::nullopt;
  std::string_view all(*raw);
  std::string_view nonce = all.substr(0, kCursorNonceBytes);
  std::string_view sealed = all.substr(kCursorNonceBytes, kPlainBytes);
  std::string tag(all.substr(kCursorNonceBytes + kPlainBytes));
  unsigned char plain[kPlainBytes + 16];
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0, end = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kCursorNonceBytes),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) != 1 ||
      !add_aad(ctx.get(), scope, false) ||
      EVP_DecryptUpdate(ctx.get(), plain, &len, bytes(sealed), kPlainBytes) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain + len, &end) != 1 || len + end != kPlainBytes)
    return std::nullopt;  // the tag does not hold: another key, scope, or altered bytes
  uint64_t v = 0;
  for (size_t i = 0; i < kPlainBytes; ++i) v = (v << 8) | plain[i];
  if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace cordon::api
