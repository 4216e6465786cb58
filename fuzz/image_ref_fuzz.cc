// libFuzzer target for image::parse_reference (see fuzz/README.md): any text is refused as
// an error value, or gives a reference whose normalized form parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/ref.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cordon::image;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = parse_reference(text);
  if (!r.ok()) return 0;
  auto back = parse_reference(r->str());
  if (!back.ok() || back->str() != r->str()) std::abort();
  return 0;
}
