#include "archive/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>

namespace cordon::archive {

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b && bytes[2] == 0x08;
}

Result<std::string> gunzip(std::string_view bytes, uint64_t max_out) {
  z_stream z{};
  // 16 + MAX_WBITS: a gzip header and trailer (its CRC-32 and size are checked).
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    return errno_error(ENOMEM, "gunzip", "inflateInit2");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  std::string out;
  constexpr size_t kPiece = 1 << 16;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(std::min<size_t>(bytes.size(), UINT32_MAX));
  size_t fed = z.avail_in;
  for (;;) {
    size_t have = out.size();
    out.resize(have + kPiece);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    z.avail_out = kPiece;
    int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(have + (kPiece - z.avail_out));
    if (out.size() > max_out)
      return Error{E2BIG, "gunzip", "",
                   "decompresses to more than " + std::to_string(max_out) + " bytes"};
    if (z.avail_in == 0 && fed < bytes.size()) {
      size_t more = std::min<size_t>(bytes.size() - fed, UINT32_MAX);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + fed));
      z.avail_in = static_cast<uInt>(more);
      fed += more;
    }
    if (rc == Z_STREAM_END) {
      size_t left = z.avail_in + (bytes.size() - fed);
      if (left == 0) return out;
      // Another member follows (gzip's own concatenation), or junk: the next round says.
      if (inflateReset(&z) != Z_OK) return logic_error("gunzip", "", "inflateReset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && fed == bytes.size())
      return logic_error("gunzip", "", "the compressed data is cut short");
    if (rc == Z_BUF_ERROR) continue;
    return logic_error(
        "gunzip", "",
        std::string("corrupt compressed data: ") + (z.msg ? z.msg : "inflate failed"));
  }
}

}  // namespace cordon::archive
