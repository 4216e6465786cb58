// cordon-client: `cordon job` and `cordon tenant`, the daemon's client. A dynamic binary of
// its own because it links libcurl, which has no static form on Debian; the static cordon
// execs it (cmd/client_exec.cc) for those commands, and it may be run directly as well:
// `cordon-client job ls` is `cordon job ls`.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/args.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "client/cli.h"

namespace {

constexpr const char* kUsage = R"(Usage: cordon-client COMMAND [OPTIONS]

The cordon daemon's client; 'cordon job' and 'cordon tenant' run it.

Commands:
  job       submit jobs to the daemon, list them, read their logs (cordon job --help)
  tenant    the daemon's tenants and their tokens (cordon tenant --help)
  version   print the version
)";

const char* getenv_wrapper(const char* name) {
  return std::getenv(name);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto status = cordon::program_help(args, kUsage)) return *status;
  if (args[0] == "version" || args[0] == "--version") {
    std::printf("cordon-client %s\n", CORDON_VERSION);
    return 0;
  }
  if (cordon::client::handles(args[0])) return cordon::client::run(args, getenv_wrapper);
  cordon::log(cordon::LogLevel::kError, "cordon-client runs 'job' and 'tenant' only; '" + args[0] +
                                            "' is cordon's (see cordon --help)");
  return cordon::kExitUsage;
}
