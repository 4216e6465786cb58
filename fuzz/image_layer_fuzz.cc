// libFuzzer target for the layer reader and writer (see fuzz/README.md): the input, as a
// layer blob (any compression libarchive detects), is hashed and unpacked into a fresh
// directory under /tmp with small limits; either is refused as an error value or succeeds,
// and nothing may be written outside that directory (the fuzzer's sanitizers and the
// writer's openat2 rules; the directory is removed after each input).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "image_io/layer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cordon::image_io;
  namespace fs = std::filesystem;
  static const std::string base = "/tmp/cordon-layer-fuzz-" + std::to_string(getpid());
  fs::remove_all(base);
  fs::create_directories(base + "/out");
  std::string blob = base + "/blob";
  FILE* f = std::fopen(blob.c_str(), "wb");
  if (f == nullptr) std::abort();
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  LayerLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_entries = 256;
  (void)digest_layer(blob, 4 << 20);
  (void)unpack_layer(blob, base + "/out", limits);
  fs::remove_all(base);
  return 0;
}
