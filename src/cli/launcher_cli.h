// `cordon launcher`: its options (parsed by base/args.h), then launcher/server.h's serve().
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/args.h"
#include "base/result.h"

namespace cordon::cli {

// What the command line sets of launcher::ServeOptions; the rest keeps its defaults.
struct LauncherOptions {
  std::optional<std::string> socket_path;
  std::optional<mode_t> mode;
  std::optional<size_t> netns_pool;
  size_t warm = 2;
  bool help = false;
};

// The launcher's options: the table parse_launcher_args reads and launcher_usage prints.
const std::vector<OptionSpec>& launcher_options();
std::string launcher_usage();
// args: what follows "launcher". A bad option or value is an error of step "usage".
Result<LauncherOptions> parse_launcher_args(const std::vector<std::string>& args);

int launcher_main(const std::vector<std::string>& args);

}  // namespace cordon::cli
