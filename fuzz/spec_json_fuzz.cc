// libFuzzer target for spec::spec_from_json_text (see fuzz/README.md): any text either
// gives a spec that passed validate() and whose JSON form reads back to itself, or is
// refused as an error value; nothing may crash or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "spec/spec_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cordon::spec;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto s = spec_from_json_text(text);
  if (!s.ok()) return 0;
  if (!validate(*s).ok()) std::abort();
  auto back = spec_from_json(to_json(*s));
  if (!back.ok() || to_json(*back) != to_json(*s)) std::abort();
  return 0;
}
