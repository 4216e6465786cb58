// The instance routes' bodies (api/instance_request.h): POST /v1/instances and POST
// /v1/instances/{name}/exec, from a tenant. Nothing may crash, and what parses holds
// only bounded values that cannot be taken for options of the command line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/instance_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  cordon::api::RequestError error;
  if (auto c = cordon::api::parse_instance_create(body, 1024, &error)) {
    if (!cordon::api::valid_short_name(c->name) || c->image.empty() || c->image[0] == '-')
      std::abort();
    if (c->command.size() > cordon::api::kMaxArgs) std::abort();
  }
  if (auto e = cordon::api::parse_instance_exec(body, &error)) {
    if (e->command.empty() || e->command.size() > cordon::api::kMaxArgs) std::abort();
    if (e->timeout_ms > cordon::api::kMaxExecTimeoutMs) std::abort();
  }
  return 0;
}
