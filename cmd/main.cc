// cordon: the command line. main() only dispatches; everything else is in the libraries.
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "api/doctor_cli.h"
#include "api/result_json.h"
#include "api/run_cli.h"
#include "audit/audit_cli.h"
#include "base/log.h"
#include "client/cli.h"
#include "daemon/daemon.h"
#include "engine/run.h"
#include "launcher/client.h"
#include "launcher/server.h"
#include "spec/spec.h"

namespace {

constexpr const char* kUsage = R"(Usage: cordon COMMAND [OPTIONS]

Run untrusted code in unprivileged sandboxes.

Commands:
  run       run one command in a new sandbox (cordon run --help)
  daemon    the multi-tenant job service with a REST API (cordon daemon --help)
  job       submit jobs to the daemon, list them, read their logs (cordon job --help)
  tenant    the daemon's tenants and their tokens (cordon tenant --help)
  launcher  start sandboxes for local callers without an exec per sandbox (cordon launcher --help)
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

int report(const cordon::api::RunOptions& opts, const cordon::engine::RunResult& r);

cordon::plan::CallerEnv caller_env(bool netns_prepared) {
  cordon::plan::CallerEnv caller;
  if (const char* t = std::getenv("TERM")) caller.term = t;
  if (const char* l = std::getenv("LANG")) caller.lang = l;
  caller.netns_prepared = netns_prepared;
  return caller;
}

// `cordon run --launcher SOCKET ARGS`: the launcher runs `cordon run ARGS` for us, with
// our stdio, environment and working directory.
int run_through_launcher(const std::string& socket, const std::vector<std::string>& args,
                         const std::string& cwd) {
  cordon::launcher::Request req;
  req.cwd = cwd;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      req.args.insert(req.args.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (args[i] == "--launcher") {
      ++i;  // and its value
      continue;
    }
    if (args[i].rfind("--launcher=", 0) == 0) continue;
    req.args.push_back(args[i]);
  }
  for (char** e = environ; *e != nullptr; ++e) req.env.emplace_back(*e);
  auto status = cordon::launcher::run_via(socket, req);
  if (!status.ok()) {
    cordon::log(cordon::LogLevel::kError, status.error().to_string());
    return cordon::engine::kExitSetupFailed;
  }
  return *status;
}

int run_args(const std::vector<std::string>& args, bool netns_prepared) {
  char cwd_buf[4096];
  std::string cwd = ::getcwd(cwd_buf, sizeof(cwd_buf)) != nullptr ? cwd_buf : "/";
  auto opts = cordon::api::parse_run_args(args, getenv_wrapper, cwd);
  if (!opts.ok()) {
    cordon::log(cordon::LogLevel::kError, opts.error().to_string());
    return cordon::engine::kExitUsage;
  }
  if (opts->help) {
    std::fputs(cordon::api::run_usage(), stdout);
    return 0;
  }
  if (!opts->launcher.empty()) {
    if (netns_prepared) {  // already in a launcher's supervisor: no second hop
      cordon::log(cordon::LogLevel::kError, "--launcher: not in a request to a launcher");
      return cordon::engine::kExitUsage;
    }
    return run_through_launcher(opts->launcher, args, cwd);
  }
  if (opts->verbose) cordon::set_log_level(cordon::LogLevel::kDebug);
  return report(*opts, cordon::engine::run(opts->spec, caller_env(netns_prepared)));
}

// The end of a run for its caller: the error once on stderr, the result as asked.
int report(const cordon::api::RunOptions& opts, const cordon::engine::RunResult& r) {
  if (r.error) cordon::log(cordon::LogLevel::kError, r.error->to_string());
  if (r.spec.seccomp_report && r.plan.seccomp)
    cordon::log(cordon::LogLevel::kWarn, cordon::api::denial_summary(r));
  if (opts.json || !opts.result_file.empty()) {
    std::string j = cordon::api::result_to_json(r);
    if (opts.json) {
      std::fflush(stdout);
      std::printf("%s\n", j.c_str());
    }
    if (!opts.result_file.empty() && !write_text_file(opts.result_file, j + "\n")) {
      cordon::log(cordon::LogLevel::kError,
                  "write result " + opts.result_file + ": " + std::strerror(errno));
    }
  }
  return r.exit_status();
}

int cmd_run(const std::vector<std::string>& args) {
  return run_args(args, false);
}

const char* no_env(const char*) {
  return nullptr;
}

// The launcher's warm pool: sandboxes of `cordon run`'s defaults, started ahead. The
// command is a placeholder: the request's replaces it. Parsed once, not per request.
const cordon::spec::SandboxSpec& warm_spec() {
  static const cordon::spec::SandboxSpec spec = [] {
    auto opts = cordon::api::parse_run_args({"--", "/bin/true"}, no_env, "/");
    return opts.ok() ? opts->spec : cordon::spec::SandboxSpec{};
  }();
  return spec;
}

bool warm_fits(const std::vector<std::string>& args) {
  auto opts = cordon::api::parse_run_args(args, no_env, "/");
  return opts.ok() && !opts->help && opts->launcher.empty() &&
         cordon::spec::same_sandbox(opts->spec, warm_spec());
}

struct WarmHandle {
  cordon::engine::PrestartedPtr sandbox;
  bool netns_prepared;
};

void* warm_start(bool netns_prepared) {
  auto p = cordon::engine::prestart(warm_spec(), caller_env(netns_prepared));
  if (!p.ok()) {
    cordon::log(cordon::LogLevel::kError, "warm sandbox: " + p.error().to_string());
    return nullptr;
  }
  return new WarmHandle{std::move(p).value(), netns_prepared};
}

void warm_discard(void* handle) {
  delete static_cast<WarmHandle*>(handle);
}

int warm_run(void* handle, const std::vector<std::string>& args) {
  std::unique_ptr<WarmHandle> warm(static_cast<WarmHandle*>(handle));
  char cwd[4096];
  auto opts = cordon::api::parse_run_args(args, getenv_wrapper,
                                          ::getcwd(cwd, sizeof(cwd)) != nullptr ? cwd : "/");
  if (!opts.ok() || opts->help || !opts->launcher.empty()) {
    warm.reset();  // not this request's: end it, then answer as a cold start would
    return run_args(args, false);
  }
  if (opts->verbose) cordon::set_log_level(cordon::LogLevel::kDebug);
  auto r = cordon::engine::run_prestarted(std::move(warm->sandbox), opts->spec,
                                          caller_env(warm->netns_prepared));
  // It could not serve this request after all (gone now): a cold start, in a network
  // namespace of its own (the pooled one was the warm sandbox's).
  if (!r) return report(*opts, cordon::engine::run(opts->spec, caller_env(false)));
  return report(*opts, *r);
}

constexpr const char* kLauncherUsage = R"(Usage: cordon launcher [--socket PATH] [--mode MODE]

Start sandboxes for local callers (`cordon run --launcher PATH ...`, or a service) without
an exec of cordon per sandbox. Each request is served by a forked supervisor that runs
exactly what `cordon run` would, with the caller's stdin, stdout, stderr, environment and
working directory; a supervisor that dies takes only its own sandbox down. A caller that
hangs up sends its sandbox SIGHUP. Only callers with the launcher's UID are served.

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

int cmd_launcher(const std::vector<std::string>& args) {
  cordon::launcher::ServeOptions o;
  o.run = run_args;
  o.warm = 2;
  o.warm_fits = warm_fits;
  o.warm_start = warm_start;
  o.warm_run = warm_run;
  o.warm_discard = warm_discard;
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
          cordon::log(cordon::LogLevel::kError, a + " " + v + ": not a count 0-1024");
          return cordon::engine::kExitUsage;
        }
        (a == "--warm" ? o.warm : o.netns_pool) = n;
        continue;
      }
      char* end = nullptr;
      unsigned long mode = std::strtoul(v.c_str(), &end, 8);
      if (v.empty() || *end != '\0' || mode > 0777) {
        cordon::log(cordon::LogLevel::kError, "--mode " + v + ": not an octal mode");
        return cordon::engine::kExitUsage;
      }
      o.mode = static_cast<mode_t>(mode);
      continue;
    }
    cordon::log(cordon::LogLevel::kError, "launcher: bad option '" + a + "' (see --help)");
    return cordon::engine::kExitUsage;
  }
  auto st = cordon::launcher::serve(o);
  if (!st.ok()) {
    cordon::log(cordon::LogLevel::kError, st.error().to_string());
    return cordon::engine::kExitSetupFailed;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? cordon::engine::kExitUsage : 0;
  }
  // The daemon's clients take the whole line: global options may come first.
  if (cordon::client::handles(args[0])) return cordon::client::run(args, getenv_wrapper);
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "run") return cmd_run(args);
  if (cmd == "launcher") return cmd_launcher(args);
  if (cmd == "daemon") return cordon::daemon::run_daemon(args);
  if (cmd == "doctor") return cordon::api::run_doctor(args);
  if (cmd == "audit") return cordon::audit::run_audit_cli(args);
  if (cmd == "version" || cmd == "--version") {
    std::printf("cordon %s\n", CORDON_VERSION);
    return 0;
  }
  cordon::log(cordon::LogLevel::kError, "unknown command '" + cmd + "' (see cordon --help)");
  return cordon::engine::kExitUsage;
}
