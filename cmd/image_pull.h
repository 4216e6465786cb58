// `cordon image pull REF`: fetch from a registry, import into the store (docs/images.md).
#pragma once

#include "base/args.h"
#include "image/store.h"

namespace cordon::cmd {

// The options are those of the pull command in image_main.cc's table; a's operands[0] is
// REF. Returns the exit status (docs/images.md, "Pulling").
int cmd_pull(const image::Store& store, const ParsedArgs& a, bool as_json);

}  // namespace cordon::cmd
