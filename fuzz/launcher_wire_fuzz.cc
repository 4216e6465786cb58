// libFuzzer target for launcher::decode_request (see fuzz/README.md): every input either
// decodes within the limits of launcher/wire.h and encodes back to the same bytes, or is
// refused as EPROTO; nothing may crash or allocate without bound.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "launcher/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto r = cordon::launcher::decode_request(bytes);
  if (!r.ok()) {
    if (r.error().err != EPROTO) std::abort();
    return 0;
  }
  if (r->args.size() > cordon::launcher::kMaxStrings) std::abort();
  if (r->env.size() > cordon::launcher::kMaxStrings) std::abort();
  if (r->cwd.empty() || r->cwd[0] != '/') std::abort();
  auto again = cordon::launcher::encode_request(*r);
  if (!again.ok() || *again != bytes) std::abort();
  return 0;
}
