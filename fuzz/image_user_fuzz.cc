// libFuzzer target for image::resolve_user (see fuzz/README.md): an image's USER against
// its /etc/passwd and /etc/group, all three from the image, so untrusted. The input is
// USER \0 PASSWD \0 GROUP. Any input is refused as an error value or gives IDs inside a
// sandbox's range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "image/run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cordon::image;
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t a = in.find('\0');
  size_t b = a == std::string::npos ? std::string::npos : in.find('\0', a + 1);
  std::string user = in.substr(0, a);
  ImageAccounts acc;
  if (a != std::string::npos) acc.passwd = in.substr(a + 1, b == std::string::npos ? b : b - a - 1);
  if (b != std::string::npos) acc.group = in.substr(b + 1);
  auto r = resolve_user(user, acc);
  if (r.ok() && (r->uid >= cordon::spec::kIdsPerSandbox || r->gid >= cordon::spec::kIdsPerSandbox))
    std::abort();
  return 0;
}
