// libFuzzer target for archive::parse_tar (see fuzz/README.md): any bytes are refused or
// give entries that keep every promise of tar.h, which extract() relies on: relative,
// normalized paths within the limits, permission bits only, data inside the input, each
// path once. Small limits, so that the fuzzer reaches them. Input that starts with gzip's
// magic takes an upload's path: archive::gunzip within a bound (never more output, any
// error its own), then the tar parser on what it gave.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "archive/gzip.h"
#include "archive/tar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string unpacked;
  if (cordon::archive::is_gzip(bytes)) {
    constexpr uint64_t kBound = 4 << 20;
    auto plain = cordon::archive::gunzip(bytes, kBound);
    if (!plain.ok()) {
      if (plain.error().step != "gunzip") std::abort();
      return 0;
    }
    if (plain->size() > kBound) std::abort();
    unpacked = std::move(plain).value();
    bytes = unpacked;
  }
  cordon::archive::TarLimits limits;
  limits.max_entries = 64;
  limits.max_total_bytes = 1 << 20;
  limits.max_file_bytes = 256 << 10;
  limits.max_path = 256;
  limits.max_depth = 8;
  auto r = cordon::archive::parse_tar(bytes, limits);
  if (!r.ok()) {
    if (r.error().step != "parse tar") std::abort();
    return 0;
  }
  if (r->size() > limits.max_entries) std::abort();
  uint64_t total = 0;
  std::set<std::string_view> paths;
  for (const auto& e : r.value()) {
    const std::string& p = e.path;
    if (p.empty() || p.size() > limits.max_path || p.front() == '/' || p.back() == '/')
      std::abort();
    if (p.find('\0') != std::string::npos || p.find("//") != std::string::npos) std::abort();
    size_t depth = 0, start = 0;
    while (start <= p.size()) {
      size_t slash = p.find('/', start);
      if (slash == std::string::npos) slash = p.size();
      std::string_view part = std::string_view(p).substr(start, slash - start);
      if (part == "." || part == ".." || part.empty()) std::abort();
      ++depth;
      start = slash + 1;
    }
    if (depth > limits.max_depth) std::abort();
    if (e.mode > 0777) std::abort();
    if (!paths.insert(p).second) std::abort();
    if (e.type == cordon::archive::TarEntry::Type::kDir) {
      if (!e.data.empty()) std::abort();
      continue;
    }
    if (e.data.size() > limits.max_file_bytes) std::abort();
    if (!e.data.empty() && (e.data.data() < bytes.data() ||
                            e.data.data() + e.data.size() > bytes.data() + bytes.size()))
      std::abort();
    total += e.data.size();
  }
  if (total > limits.max_total_bytes) std::abort();
  return 0;
}
