// `cordon instance`: system containers on the host (docs/instances.md).
#pragma once

#include <string>
#include <vector>

namespace cordon::cli {

// args: what follows "instance". Returns the exit status.
int instance_main(const std::vector<std::string>& args);

}  // namespace cordon::cli
