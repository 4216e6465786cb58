#include "cli/launcher_cli.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/args.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "base/parse.h"
#include "launcher/server.h"

namespace cordon::cli {
namespace {

void launcher_ready(const std::string& path) {
  std::fprintf(stderr, "cordon launcher: listening on %s\n", path.c_str());
}

}  // namespace

const std::vector<OptionSpec>& launcher_options() {
  static const std::vector<OptionSpec> options = {
      {"--socket", true, "PATH", "where to listen (default /run/cordon/launcher.sock)"},
      {"--mode", true, "MODE", "the socket's permission bits, octal (default 0600)"},
      {"--netns-pool", true, "N",
       "fresh network namespaces kept ready while idle (default 8; 0: none)"},
      {"--warm", true, "N",
       "sandboxes of cordon run's defaults started ahead (default 2; 0: none):\n"
       "a request with the default options (any command, environment and\n"
       "--env) runs in one, which then serves no other"},
      kHelpOption,
  };
  return options;
}

std::string launcher_usage() {
  return help_text(
      usage_line("cordon launcher", launcher_options()),
      "Start sandboxes for local callers (`cordon run --launcher PATH ...`, or a service) without\n"
      "an exec of cordon per sandbox. Each request is served by a forked supervisor that runs\n"
      "the caller's sandbox spec with its stdin, stdout and stderr, as `cordon run` would, and\n"
      "replies with the exit status and the result; a supervisor that dies takes only its own\n"
      "sandbox down. A caller that hangs up sends its sandbox SIGHUP. Only callers with the\n"
      "launcher's UID are served. SIGTERM or SIGINT stops it: running sandboxes get SIGTERM\n"
      "and are waited for.\n",
      {{"Options", launcher_options()}},
      "0 stopped by SIGTERM or SIGINT; 64 usage error; 125 could not listen or serve.\n");
}

Result<LauncherOptions> parse_launcher_args(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(ParsedArgs p, parse_args(args, launcher_options()));
  if (!p.operands.empty())
    return logic_error("usage", p.operands[0], "unexpected argument (see cordon launcher --help)");
  LauncherOptions o;
  o.help = p.help;
  for (const auto& [name, v] : p.options) {
    if (name == "--socket") {
      o.socket_path = v;
    } else if (name == "--netns-pool" || name == "--warm") {
      auto n = parse_uint(v, 0, 1024);
      if (!n.ok()) return logic_error("usage", name, "'" + v + "': not a count 0-1024");
      if (name == "--warm") {
        o.warm = *n;
      } else {
        o.netns_pool = *n;
      }
    } else if (name == "--mode") {
      char* end = nullptr;
      unsigned long mode = std::strtoul(v.c_str(), &end, 8);
      if (v.empty() || *end != '\0' || mode > 0777)
        return logic_error("usage", name, "'" + v + "': not an octal mode");
      o.mode = static_cast<mode_t>(mode);
    }
  }
  return o;
}

int launcher_main(const std::vector<std::string>& args) {
  auto o = parse_launcher_args(args);
  if (!o.ok()) {
    log(LogLevel::kError, o.error().to_string());
    return kExitUsage;
  }
  if (o->help) {
    std::fputs(launcher_usage().c_str(), stdout);
    return 0;
  }
  launcher::ServeOptions serve;
  if (o->socket_path) serve.socket_path = *o->socket_path;
  if (o->mode) serve.mode = *o->mode;
  if (o->netns_pool) serve.netns_pool = *o->netns_pool;
  serve.warm = o->warm;
  serve.ready = launcher_ready;
  auto st = launcher::serve(serve);
  if (!st.ok()) {
    log(LogLevel::kError, st.error().to_string());
    return kExitSetupFailed;
  }
  return 0;
}

}  // namespace cordon::cli
