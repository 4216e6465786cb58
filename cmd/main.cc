// cordon: the command line. main() only dispatches; everything else is in the libraries.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "audit/audit_cli.h"
#include "base/args.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "cli/doctor_cli.h"
#include "cli/exec_cli.h"
#include "cli/instance_cli.h"
#include "cli/launcher_cli.h"
#include "cli/run_cli.h"
#include "client_exec.h"
#include "daemon/daemon.h"
#include "image_exec.h"

namespace {

constexpr const char* kUsage = R"(Usage: cordon COMMAND [OPTIONS]

Run untrusted code in unprivileged sandboxes.

Commands:
  run       run one command in a new sandbox (cordon run --help)
  exec      run a command in a running named sandbox (cordon exec --help)
  daemon    the multi-tenant job service with a REST API (cordon daemon --help)
  job       submit jobs to the daemon, list them, read their logs (cordon job --help)
  tenant    the daemon's tenants and their tokens (cordon tenant --help)
  image     pull, import, list, inspect, tag and remove images (cordon image --help)
  instance  system containers: create, start, stop, snapshot (cordon instance --help)
  launcher  start sandboxes for local callers without an exec per sandbox (cordon launcher --help)
  audit     try to escape sandboxes made with your settings; a scorecard (cordon audit --help)
  doctor    inspect this host for what weakens sandboxes (cordon doctor --help)
  version   print the version

Run 'cordon COMMAND --help' for a command's options.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto status = cordon::program_help(args, kUsage)) return *status;
  // The daemon's client takes the whole line (global options may come first), in
  // cordon-client: it links libcurl, which cannot be linked into this static binary.
  if (cordon::cmd::is_client_command(args[0])) return cordon::cmd::exec_client(args);
  // The image store's commands, in cordon-image: import links libarchive.
  if (args[0] == "image") return cordon::cmd::exec_image(args);
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "run") return cordon::cli::run_main(args);
  if (cmd == "instance") return cordon::cli::instance_main(args);
  if (cmd == "exec") return cordon::cli::exec_main(args);
  if (cmd == "launcher") return cordon::cli::launcher_main(args);
  if (cmd == "daemon") return cordon::daemon::run_daemon(args);
  if (cmd == "doctor") return cordon::cli::run_doctor(args);
  if (cmd == "audit")
    return cordon::audit::run_audit_cli(args, cordon::all_options(cordon::cli::run_option_groups()),
                                        cordon::cli::check_run_options);
  if (cmd == "version" || cmd == "--version") {
    if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
      std::fputs("Usage: cordon version\n\nPrint cordon's version.\n", stdout);
      return 0;
    }
    if (!args.empty()) {
      cordon::log(cordon::LogLevel::kError, "version takes no arguments (got '" + args[0] + "')");
      return cordon::kExitUsage;
    }
    std::printf("cordon %s\n", CORDON_VERSION);
    return 0;
  }
  // Options belong to a command: `cordon -v run` means `cordon run -v`, and is told so.
  if (!cmd.empty() && cmd[0] == '-' && !args.empty()) {
    cordon::log(cordon::LogLevel::kError,
                "'" + cmd + "' is an option of a command: put it after the command (cordon " +
                    args[0] + " " + cmd + " ...)");
    return cordon::kExitUsage;
  }
  cordon::log(cordon::LogLevel::kError, "unknown command '" + cmd + "' (see cordon --help)");
  return cordon::kExitUsage;
}
