#include "image/digest.h"

#include <fcntl.h>
#include <openssl/evp.h>

#include <vector>

#include "sys/fd.h"
#include "sys/fs.h"

namespace cordon::image {

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<std::string> digest_hex(std::string_view digest, std::string_view what) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.substr(0, kPrefix.size()) != kPrefix)
    return logic_error("digest", std::string(what),
                       "'" + std::string(digest.substr(0, 80)) +
                           "' is not a sha256 digest (only sha256:HEX is accepted)");
  std::string_view hex = digest.substr(kPrefix.size());
  if (!is_sha256_hex(hex))
    return logic_error(
        "digest", std::string(what),
        "'" + std::string(digest.substr(0, 80)) + "' is not sha256: and 64 lowercase hex digits");
  return std::string(hex);
}

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(impl_->ctx);
}

void Sha256::update(const void* data, size_t len) {
  EVP_DigestUpdate(impl_->ctx, data, len);
}

std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.hex();
}

Result<std::string> sha256_file(const std::string& path, uint64_t* size) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_path(path, O_RDONLY | O_NOFOLLOW));
  Sha256 h;
  std::vector<char> buf(1 << 20);
  uint64_t off = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, sys::read_at(fd.get(), buf.data(), buf.size(), off));
    if (n == 0) break;
    h.update(buf.data(), n);
    off += n;
  }
  if (size != nullptr) *size = off;
  return h.hex();
}

}  // namespace cordon::image
