// `cordon launcher`: its options, then launcher/server.h's serve().
#pragma once

#include <string>
#include <vector>

namespace cordon::cli {

int launcher_main(const std::vector<std::string>& args);

}  // namespace cordon::cli
