// libFuzzer target for launcher::decode_request and decode_reply (see fuzz/README.md):
// every input either decodes within the limits of launcher/wire.h, with a spec that
// passed validation, and survives a second trip through encode and decode unchanged, or
// is refused as an error value; nothing may crash or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "launcher/wire.h"
#include "spec/spec_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cordon;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto reply = launcher::decode_reply(bytes); reply.ok()) {
    if (launcher::encode_reply(*reply) != bytes) std::abort();
  }
  auto r = launcher::decode_request(bytes);
  if (!r.ok()) return 0;
  if (!spec::validate(r->spec).ok()) std::abort();
  auto again = launcher::encode_request(*r);
  if (!again.ok()) std::abort();
  auto back = launcher::decode_request(*again);
  if (!back.ok() || spec::to_json(back->spec) != spec::to_json(r->spec) ||
      back->term != r->term || back->lang != r->lang)
    std::abort();
  return 0;
}
