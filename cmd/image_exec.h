// `cordon image` in the static cordon: handed to the dynamic cordon-image
// (cmd/image_main.cc), which links libarchive.
#pragma once

#include <string>
#include <vector>

namespace cordon::cmd {

// Execs cordon-image with args (the command line after "cordon", "image" first), found
// beside this executable, in /usr/lib/cordon, or on PATH; returns only on failure: 69
// (a support program is missing), the error printed.
int exec_image(const std::vector<std::string>& args);

}  // namespace cordon::cmd
