// Content digests: "sha256:HEX" (the only algorithm the store accepts) and a streaming
// SHA-256 (OpenSSL's, linked statically).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cordon::image {

// Whether text is 64 lowercase hex digits.
bool is_sha256_hex(std::string_view text);
// "sha256:HEX" -> HEX. Any other algorithm, or a malformed hex, is an error naming what.
Result<std::string> digest_hex(std::string_view digest, std::string_view what);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t len);
  // The lowercase hex of the digest; the object may not be updated afterwards.
  std::string hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
// SHA-256 of a whole file, read in blocks; size gets its length when not null.
Result<std::string> sha256_file(const std::string& path, uint64_t* size = nullptr);

}  // namespace cordon::image
