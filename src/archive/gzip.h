// A gzip-compressed upload (.tar.gz), decompressed in memory before the tar is parsed:
// hostile bytes, so the output is bounded (a small input can expand a thousandfold: a
// "gzip bomb") and decompression stops, refused, as soon as it would pass the bound.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cordon::archive {

// Whether bytes start with gzip's magic (1f 8b) and its one method, deflate (08).
bool is_gzip(std::string_view bytes);

// The decompressed bytes of one gzip member or several in a row (as `cat a.gz b.gz`
// makes), or an error (step "gunzip"): E2BIG when the output would pass max_out bytes,
// EINVAL for corrupt data, a bad checksum, or a stream cut short.
Result<std::string> gunzip(std::string_view bytes, uint64_t max_out);

}  // namespace cordon::archive
