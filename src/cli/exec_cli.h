// `cordon exec [OPTIONS] NAME -- COMMAND [ARG...]`: a command in the running sandbox
// NAME (started with `cordon run --name NAME`), confined as the sandbox's own command.
#pragma once

#include <string>
#include <vector>

namespace cordon::cli {

std::string exec_usage();
// args: what follows "exec". Returns the exit status.
int exec_main(const std::vector<std::string>& args);

}  // namespace cordon::cli
