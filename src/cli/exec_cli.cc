#include "cli/exec_cli.h"

#include <cstdio>
#include <cstdlib>

#include "base/args.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "base/parse.h"
#include "engine/exec.h"
#include "isolate/sandbox_state.h"
#include "spec/spec.h"
#include "sys/creds.h"

namespace cordon::cli {
namespace {

const std::vector<OptionGroup>& exec_option_groups() {
  static const std::vector<OptionGroup> groups = {
      {"Options",
       {{"--tty", false, "",
         "give the command a terminal of its own, made on the sandbox's\n"
         "/dev/pts (like docker exec -it): the caller's terminal in raw\n"
         "mode until the command ends, its window size followed",
         "-t"},
        {"--user", true, "UID[:GID]",
         "the user (and group) inside, 0-65535 (default: the sandbox's;\n"
         "UID alone keeps the sandbox's group)"},
        {"--env", true, "K=V|K",
         "set K (K alone copies it from the caller); repeatable; on top\n"
         "of the sandbox's environment"},
        {"--workdir", true, "DIR", "working directory inside (default: the sandbox's)"},
        kHelpOption}}};
  return groups;
}

Error usage(std::string what, std::string detail) {
  return logic_error("usage", std::move(what), std::move(detail));
}

Status apply(engine::ExecRequest& r, const std::string& name, const std::string& v) {
  if (name == "--tty") {
    r.tty = true;
  } else if (name == "--user") {
    size_t colon = v.find(':');
    auto uid = parse_uint(v.substr(0, colon), 0, spec::kIdsPerSandbox - 1);
    if (!uid.ok()) return usage(name, "'" + v + "': expected UID[:GID], each 0-65535");
    r.uid = static_cast<uid_t>(*uid);
    if (colon != std::string::npos) {
      auto gid = parse_uint(v.substr(colon + 1), 0, spec::kIdsPerSandbox - 1);
      if (!gid.ok()) return usage(name, "'" + v + "': expected UID[:GID], each 0-65535");
      r.gid = static_cast<gid_t>(*gid);
    }
  } else if (name == "--env") {
    size_t eq = v.find('=');
    if (eq == 0 || v.empty()) return usage(name, "'" + v + "': expected K=V or K");
    if (eq == std::string::npos) {
      if (const char* from_caller = std::getenv(v.c_str())) r.env.emplace_back(v, from_caller);
    } else {
      r.env.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    }
  } else if (name == "--workdir") {
    if (!spec::is_clean_absolute_path(v))
      return usage(name, "'" + v + "': expected an absolute path inside the sandbox");
    r.workdir = v;
  }
  return {};
}

}  // namespace

std::string exec_usage() {
  return help_text(
      "cordon exec [OPTIONS] NAME [--] COMMAND [ARG...]",
      "Run COMMAND in the running sandbox NAME (started with cordon run --name NAME), as\n"
      "docker exec does: in its namespaces and cgroup (it counts against its limits and\n"
      "dies with it), with its rlimits, capability sets, no_new_privs and seccomp filter.\n"
      "stdin is the caller's; stdout and stderr come through cordon. Must run as root.\n",
      exec_option_groups(),
      "the command's own; 128+N when killed by signal N (137 when the sandbox\n"
      "ended under it); 64 usage error; 66 no running sandbox has the name; 77 not run as\n"
      "root; 125 the command could not be set up inside; 126 the command is not\n"
      "executable; 127 the command was not found inside.\n");
}

int exec_main(const std::vector<std::string>& args) {
  static const std::vector<OptionSpec> specs = all_options(exec_option_groups());
  auto p = parse_args(args, specs, /*command_mode=*/true);
  if (!p.ok()) {
    log(LogLevel::kError, p.error().to_string());
    return kExitUsage;
  }
  if (p->help) {
    std::fputs(exec_usage().c_str(), stdout);
    return 0;
  }
  engine::ExecRequest req;
  for (const auto& [name, value] : p->options) {
    Status st = apply(req, name, value);
    if (!st.ok()) {
      log(LogLevel::kError, st.error().to_string());
      return kExitUsage;
    }
  }
  std::vector<std::string> rest = p->command;
  if (!rest.empty() && rest[0] == "--") rest.erase(rest.begin());
  if (rest.empty()) {
    log(LogLevel::kError, "usage: no sandbox named (cordon exec [OPTIONS] NAME -- COMMAND)");
    return kExitUsage;
  }
  req.name = rest[0];
  rest.erase(rest.begin());
  if (!rest.empty() && rest[0] == "--") rest.erase(rest.begin());
  if (Status v = isolate::validate_sandbox_name(req.name, "NAME"); !v.ok()) {
    log(LogLevel::kError, v.error().to_string());
    return kExitUsage;
  }
  if (rest.empty()) {
    log(LogLevel::kError,
        "usage: command: no command given (cordon exec [OPTIONS] " + req.name + " -- COMMAND)");
    return kExitUsage;
  }
  req.argv = std::move(rest);
  if (sys::effective_uid() != 0) {
    log(LogLevel::kError,
        "cordon exec must run as root: it joins the sandbox's namespaces and cgroup");
    return kExitNoPerm;
  }
  plan::CallerEnv caller;
  if (const char* t = std::getenv("TERM")) caller.term = t;
  if (const char* l = std::getenv("LANG")) caller.lang = l;
  engine::ExecResult r = engine::exec(req, caller);
  if (r.error) log(LogLevel::kError, r.error->to_string());
  return r.status;
}

}  // namespace cordon::cli
