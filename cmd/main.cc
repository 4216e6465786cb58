// cordon: the command line. main() only dispatches; everything else is in the libraries.
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "api/doctor_cli.h"
#include "api/result_json.h"
#include "api/run_cli.h"
#include "audit/audit_cli.h"
#include "base/log.h"
#include "engine/run.h"

namespace {

constexpr const char* kUsage = R"(Usage: cordon COMMAND [OPTIONS]

Run untrusted code in unprivileged sandboxes.

Commands:
  run       run one command in a new sandbox (cordon run --help)
  audit     try to escape sandboxes made with your settings; a scorecard (cordon audit --help)
  doctor    inspect this host for what weakens sandboxes (cordon doctor --help)
  version   print the version

Run 'cordon COMMAND --help' for a command's options.
)";

const char* getenv_wrapper(const char* name) {
  return std::getenv(name);
}

bool write_text_file(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "we");
  if (f == nullptr) return false;
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fclose(f) == 0 && ok;
}

int cmd_run(const std::vector<std::string>& args) {
  char cwd[4096];
  auto opts = cordon::api::parse_run_args(args, getenv_wrapper,
                                          ::getcwd(cwd, sizeof(cwd)) != nullptr ? cwd : "/");
  if (!opts.ok()) {
    cordon::log(cordon::LogLevel::kError, opts.error().to_string());
    return cordon::engine::kExitUsage;
  }
  if (opts->help) {
    std::fputs(cordon::api::run_usage(), stdout);
    return 0;
  }
  if (opts->verbose) cordon::set_log_level(cordon::LogLevel::kDebug);
  cordon::plan::CallerEnv caller;
  if (const char* t = std::getenv("TERM")) caller.term = t;
  if (const char* l = std::getenv("LANG")) caller.lang = l;

  cordon::engine::RunResult r = cordon::engine::run(opts->spec, caller);
  if (r.error) cordon::log(cordon::LogLevel::kError, r.error->to_string());
  if (r.spec.seccomp_report && r.plan.seccomp)
    cordon::log(cordon::LogLevel::kWarn, cordon::api::denial_summary(r));
  if (opts->json || !opts->result_file.empty()) {
    std::string j = cordon::api::result_to_json(r);
    if (opts->json) {
      std::fflush(stdout);
      std::printf("%s\n", j.c_str());
    }
    if (!opts->result_file.empty() && !write_text_file(opts->result_file, j + "\n")) {
      cordon::log(cordon::LogLevel::kError,
                  "write result " + opts->result_file + ": " + std::strerror(errno));
    }
  }
  return r.exit_status();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? cordon::engine::kExitUsage : 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "run") return cmd_run(args);
  if (cmd == "doctor") return cordon::api::run_doctor(args);
  if (cmd == "audit") return cordon::audit::run_audit_cli(args);
  if (cmd == "version" || cmd == "--version") {
    std::printf("cordon %s\n", CORDON_VERSION);
    return 0;
  }
  cordon::log(cordon::LogLevel::kError, "unknown command '" + cmd + "' (see cordon --help)");
  return cordon::engine::kExitUsage;
}
