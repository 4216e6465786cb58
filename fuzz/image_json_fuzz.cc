// libFuzzer target for the image documents (see fuzz/README.md): the OCI index, manifest
// and config and docker save's manifest.json parsers, each fed the same bytes. Each either
// refuses the text as an error value or gives typed values within the documented bounds; a
// parsed config's synthesized form reads back to the same diff_ids.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/oci.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cordon::image;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto i = parse_index(text, "fuzz"); i.ok() && i->manifests.size() > kMaxManifests)
    std::abort();
  if (auto m = parse_manifest(text, "fuzz"); m.ok()) {
    if (m->layers.size() > kMaxLayers) std::abort();
    for (const auto& l : m->layers)
      if (l.size < 0 || !is_layer_type(l.media_type)) std::abort();
  }
  if (auto c = parse_config(text, "fuzz"); c.ok()) {
    auto back = parse_config(config_json(*c), "fuzz");
    if (!back.ok() || back->diff_ids != c->diff_ids) std::abort();
  }
  (void)parse_docker_save_manifest(text, "fuzz");
  return 0;
}
