#include "cli/launcher_cli.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/exit_codes.h"
#include "base/log.h"
#include "launcher/server.h"

namespace cordon::cli {
namespace {

constexpr const char* kLauncherUsage = R"(Usage: cordon launcher [--socket PATH] [--mode MODE]

Start sandboxes for local callers (`cordon run --launcher PATH ...`, or a service) without
an exec of cordon per sandbox. Each request is served by a forked supervisor that runs
the caller's sandbox spec with its stdin, stdout and stderr, as `cordon run` would, and
replies with the exit status and the result; a supervisor that dies takes only its own
sandbox down. A caller that hangs up sends its sandbox SIGHUP. Only callers with the
launcher's UID are served.

Options:
  --socket PATH   where to listen (default /run/cordon/launcher.sock)
  --mode MODE     the socket's permission bits, octal (default 0600)
  --netns-pool N  fresh network namespaces kept ready while idle (default 8; 0: none)
  --warm N        sandboxes of cordon run's defaults started ahead (default 2; 0: none):
                  a request with the default options (any command, environment and
                  --env) runs in one, which then serves no other
  -h, --help      this help

SIGTERM or SIGINT stops it: running sandboxes get SIGTERM and are waited for.
)";

void launcher_ready(const std::string& path) {
  std::fprintf(stderr, "cordon launcher: listening on %s\n", path.c_str());
}

}  // namespace

int launcher_main(const std::vector<std::string>& args) {
  launcher::ServeOptions o;
  o.warm = 2;
  o.ready = launcher_ready;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kLauncherUsage, stdout);
      return 0;
    }
    if ((a == "--socket" || a == "--mode" || a == "--netns-pool" || a == "--warm") &&
        i + 1 < args.size()) {
      const std::string& v = args[++i];
      if (a == "--socket") {
        o.socket_path = v;
        continue;
      }
      if (a == "--netns-pool" || a == "--warm") {
        char* end = nullptr;
        unsigned long n = std::strtoul(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n > 1024) {
          log(LogLevel::kError, a + " " + v + ": not a count 0-1024");
          return kExitUsage;
        }
        (a == "--warm" ? o.warm : o.netns_pool) = n;
        continue;
      }
      char* end = nullptr;
      unsigned long mode = std::strtoul(v.c_str(), &end, 8);
      if (v.empty() || *end != '\0' || mode > 0777) {
        log(LogLevel::kError, "--mode " + v + ": not an octal mode");
        return kExitUsage;
      }
      o.mode = static_cast<mode_t>(mode);
      continue;
    }
    log(LogLevel::kError, "launcher: bad option '" + a + "' (see --help)");
    return kExitUsage;
  }
  auto st = launcher::serve(o);
  if (!st.ok()) {
    log(LogLevel::kError, st.error().to_string());
    return kExitSetupFailed;
  }
  return 0;
}


}  // namespace cordon::cli
