#include "archive/tar_write.h"

#include <cstdio>
#include <cstring>

namespace cordon::archive {
namespace {

constexpr uint64_t kMaxOctalSize = 077777777777ull;  // 11 octal digits

void put_octal(std::string& block, size_t off, size_t len, uint64_t v) {
  // len - 1 digits, zero-padded, and a NUL.
  std::string digits(len - 1, '0');
  for (size_t i = len - 1; i-- > 0 && v != 0; v >>= 3) digits[i] = static_cast<char>('0' + (v & 7));
  std::memcpy(&block[off], digits.data(), digits.size());
  block[off + len - 1] = '\0';
}

void put_string(std::string& block, size_t off, size_t len, const std::string& s) {
  std::memcpy(&block[off], s.data(), std::min(len, s.size()));
}

// A ustar header; name is what fits the name field (the rest in prefix).
std::string ustar_block(const std::string& name, const std::string& prefix, char type,
                        uint32_t mode, uint64_t size, int64_t mtime) {
  std::string b(kTarBlock, '\0');
  put_string(b, 0, 100, name);
  put_octal(b, 100, 8, mode & 0777);
  put_octal(b, 108, 8, 0);  // uid
  put_octal(b, 116, 8, 0);  // gid
  put_octal(b, 124, 12, size);
  put_octal(b, 136, 12, mtime > 0 ? static_cast<uint64_t>(mtime) : 0);
  b[156] = type;
  std::memcpy(&b[257],
              "ustar\0"
              "00",
              8);
  put_string(b, 345, 155, prefix);
  std::memset(&b[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  put_octal(b, 148, 7, sum);  // six digits and a NUL, then the space already there
  return b;
}

// A pax record "LEN key=value\n", LEN counting itself.
std::string pax_record(const std::string& key, const std::string& value) {
  size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) ++len;
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

// Splits path at a '/' into prefix (<= 155) and name (<= 100); false when it cannot.
bool split_ustar(const std::string& path, std::string* prefix, std::string* name) {
  if (path.size() <= 100) {
    *name = path;
    prefix->clear();
    return true;
  }
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    if (slash <= 155 && path.size() - slash - 1 <= 100 && path.size() - slash - 1 > 0) {
      *prefix = path.substr(0, slash);
      *name = path.substr(slash + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string tar_header(const TarHeader& h) {
  std::string path = h.is_dir ? h.path + "/" : h.path;
  const uint64_t size = h.is_dir ? 0 : h.size;
  std::string prefix, name;
  std::string pax;
  if (!split_ustar(path, &prefix, &name)) {
    pax += pax_record("path", path);
    name = path.substr(0, 100);
    prefix.clear();
  }
  if (size > kMaxOctalSize) pax += pax_record("size", std::to_string(size));
  std::string out;
  if (!pax.empty()) {
    out += ustar_block("PaxHeader", "", 'x', 0644, pax.size(), h.mtime);
    out += pax + tar_padding(pax.size());
  }
  out += ustar_block(name, prefix, h.is_dir ? '5' : '0', h.mode, size > kMaxOctalSize ? 0 : size,
                     h.mtime);
  return out;
}

std::string tar_padding(uint64_t size) {
  return std::string((kTarBlock - size % kTarBlock) % kTarBlock, '\0');
}

std::string tar_end() {
  return std::string(2 * kTarBlock, '\0');
}

}  // namespace cordon::archive
