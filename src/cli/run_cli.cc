#include "cli/run_cli.h"

#include <algorithm>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/args.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "base/parse.h"
#include "base/unique_fd.h"
#include "engine/result_json.h"
#include "engine/run.h"
#include "isolate/sandbox_state.h"
#include "launcher/client.h"
#include "sys/creds.h"
#include "sys/fs.h"

namespace cordon::cli {
namespace {

constexpr const char* kNotRootMessage =
    "cordon run must run as root: it maps each sandbox onto a host UID/GID range of its own "
    "(writing the ID maps, holding the range's lock under /run/cordon) and sets up its cgroups";

Error usage(std::string what, std::string detail) {
  return logic_error("usage", std::move(what), std::move(detail));
}

// MODE: ro or rw, optionally followed by ",owner" or ",plain" (spec::BindOwner).
bool parse_bind_mode(const std::string& m, spec::BindMount* b) {
  size_t comma = m.find(',');
  std::string access = m.substr(0, comma);
  if (access != "ro" && access != "rw") return false;
  b->writable = access == "rw";
  if (comma == std::string::npos) return true;
  std::string owner = m.substr(comma + 1);
  if (owner != "owner" && owner != "plain") return false;
  b->owner = owner == "owner" ? spec::BindOwner::kOwner : spec::BindOwner::kPlain;
  return true;
}

Result<spec::BindMount> parse_bind(const std::string& v) {
  spec::BindMount b;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t c = v.find(':', start);
    parts.push_back(v.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  if (parts.size() > 3 || parts[0].empty())
    return usage("--bind", "'" + v + "': expected SRC[:DST][:MODE]");
  b.source = parts[0];
  b.target = parts.size() >= 2 && !parts[1].empty() ? parts[1] : parts[0];
  if (parts.size() == 2 && parse_bind_mode(parts[1], &b)) {
    b.target = parts[0];
  } else if (parts.size() == 3 && !parse_bind_mode(parts[2], &b)) {
    return usage("--bind", "'" + v +
                               "': the mode must be ro or rw, optionally followed by ,owner "
                               "or ,plain (ro,owner, rw,plain, ...)");
  }
  return b;
}

// A host path as the caller meant it: relative ones are the caller's directory's.
std::string from_cwd(const std::string& cwd, const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  return (cwd == "/" ? "" : cwd) + "/" + path;
}

// DEV:RATE, RATE in bytes per second with the size suffixes; merged per device.
Status add_io_limit(std::vector<spec::IoLimit>* io, const std::string& v, bool write) {
  size_t colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return usage(write ? "--io-write-bps" : "--io-read-bps", "'" + v + "': expected DEVICE:RATE");
  ASSIGN_OR_RETURN(uint64_t rate, parse_size(v.substr(colon + 1)));
  std::string dev = v.substr(0, colon);
  auto it = std::find_if(io->begin(), io->end(), [&](const auto& l) { return l.device == dev; });
  if (it == io->end()) it = io->insert(io->end(), spec::IoLimit{dev});
  (write ? it->write_bps : it->read_bps) = rate;
  return {};
}

}  // namespace

const std::vector<OptionGroup>& run_option_groups() {
  static const std::vector<OptionGroup> groups = {
      {"Filesystem",
       {{"--image", true, "REF",
         "run in the image REF of the store (cordon image ls): its\n"
         "layers read-only and shared, under a writable tmpfs layer;\n"
         "its Env, WorkingDir, User, Entrypoint and Cmd apply as in\n"
         "Docker (COMMAND, when given, replaces Cmd)"},
        {"--store", true, "DIR",
         "the image store (default $CORDON_IMAGE_STORE, else\n"
         "/var/lib/cordon/store)"},
        {"--entrypoint", true, "PATH",
         "replace the image's Entrypoint (and drop its Cmd); \"\"\n"
         "clears it"},
        {"--rootfs", true, "DIR",
         "run in the directory image DIR (read-only, idmapped) under a\n"
         "writable tmpfs layer; default: a read-only view of the host\n"
         "(/usr, /bin, /sbin, /lib*, a minimal /etc)"},
        {"--disk", true, "SIZE", "size cap of the writable layer, /tmp and home (default 512M)"},
        {"--bind", true, "SRC[:DST][:MODE]",
         "bind host path SRC at DST inside; repeatable. MODE: ro\n"
         "(default) or rw, optionally with ,owner or ,plain. owner:\n"
         "SRC's owner (a normal user) is the sandbox's user, so what\n"
         "it writes is that user's on the host (refused for root and\n"
         "system IDs); plain: the host's IDs as they are (others'\n"
         "files show as nobody, writes belong to the slot's IDs).\n"
         "Neither: owner where allowed, else plain (the result's\n"
         "isolation.binds says which)"},
        {"--workdir", true, "DIR", "working directory inside (default: home)"}}},
      {"Identity and environment",
       {{"--user", true, "USER[:GROUP]",
         "with --image: a name or ID of the image's /etc/passwd (and\n"
         "/etc/group), instead of its User"},
        {"--uid", true, "N",
         "user inside (0-65535, default 0: root of the sandbox,\n"
         "an unprivileged ID on the host)"},
        {"--gid", true, "N", "group inside (0-65535, default 0)"},
        {"--caps", true, "default|none",
         "default: root inside may chown, override permissions and set\n"
         "IDs among its own IDs, signal its own processes and bind low\n"
         "ports in its own network (docs/threat-model.md); none: no\n"
         "capability at all, even for root inside"},
        {"--hostname", true, "NAME", "hostname inside (default cordon)"},
        {"--env", true, "K=V|K",
         "set K inside (K alone copies it from the caller); repeatable;\n"
         "the environment is otherwise only PATH, HOME, TERM and LANG"}}},
      {"Limits (each has a default, so that no sandbox can take the host down)",
       {{"--memory", true, "SIZE",
         "memory limit, tmpfs contents included (default 512M; at least 8M)"},
        {"--memory-swap", true, "SIZE",
         "memory plus swap (default: equal to --memory, so no swap)"},
        {"--pids", true, "N", "processes and threads at once (default 512)"},
        {"--cpus", true, "N", "CPU quota, e.g. 0.5 or 1.5 (default 1)"},
        {"--cpu-weight", true, "N", "CPU weight under contention, 1-10000 (default 100)"},
        {"--io-read-bps", true, "DEV:RATE",
         "read bandwidth limit on block device DEV, e.g. /dev/vda:10M"},
        {"--io-write-bps", true, "DEV:RATE", "write bandwidth limit on block device DEV"},
        {"--time", true, "DURATION", "wall-clock limit, e.g. 30s, 5m, 1h30m (default 1h)"},
        {"--cpu-time", true, "DURATION", "CPU time limit of the whole sandbox (default: none)"},
        {"--output-limit", true, "SIZE",
         "stdout and stderr together (default 64M); past it the output\n"
         "is cut and the sandbox killed"},
        {"--nofile", true, "N", "open files per process (default 1024)"},
        {"--fsize", true, "SIZE",
         "largest file a process may write (default: no limit of its\n"
         "own; --disk bounds what it can write); core dumps off"},
        {"--stack", true, "SIZE",
         "stack size of each process (RLIMIT_STACK; default: the\n"
         "caller's), e.g. 64M for a judge's deep recursion"},
        {"--cgroup-parent", true, "PATH",
         "make the sandbox's cgroup under PATH (default: the caller's)"},
        {"--no-cgroup", false, "",
         "no cgroup: no memory, pids or CPU limit (explicit opt-out,\n"
         "recorded in the result; --time and --output-limit still hold)"}}},
      {"Syscall filter (docs/seccomp.md)",
       {{"--seccomp", true, "PROFILE",
         "default (an allowlist), strict (pure computation), unconfined\n"
         "(no filter: an explicit opt-in, recorded in the result), or the\n"
         "path of an OCI seccomp JSON profile (as Docker and podman use)"},
        {"--seccomp-report", false, "",
         "count the syscalls the filter denied and print them on stderr\n"
         "(and in the JSON result)"}}},
      {"Terminal",
       {{"--tty", false, "",
         "give the command a terminal of its own (a pseudo-terminal of\n"
         "the sandbox's /dev/pts) as stdin, stdout, stderr and controlling\n"
         "terminal, like docker run -it: Ctrl-C reaches the command, the\n"
         "window size follows the caller's; stdout and stderr are one\n"
         "stream. Not with --launcher",
         "-t"}}},
      {"Boot (docs/images.md, \"Booting an init\")",
       {{"--boot", false, "",
         "run the command (the image's init, e.g. /sbin/init) as PID 1 of\n"
         "the sandbox, as a container manager boots systemd: /run, a\n"
         "read-only /sys, a delegated cgroup2 at /sys/fs/cgroup, a console\n"
         "relayed to stdout, the boot capabilities and seccomp profile.\n"
         "SIGTERM (and --time) halts it. Only with --image or --rootfs"},
        {"--stop-grace", true, "DURATION",
         "--boot: how long a stop waits for the init to halt after\n"
         "SIGRTMIN+3 before the sandbox is killed (default 30s)"}}},
      {"Start-up",
       {{"--name", true, "NAME",
         "register the running sandbox as NAME (a-z, 0-9, '_', '.', '-';\n"
         "up to 63) so that `cordon exec NAME -- CMD` can run more\n"
         "commands in it; refused (exit 73) while a running sandbox has\n"
         "the name. Not with --launcher"},
        {"--launcher", true, "SOCKET",
         "have a running `cordon launcher` (listening on SOCKET) start the\n"
         "sandbox: the same run without an exec of cordon per sandbox\n"
         "(cordon launcher --help)"}}},
      {"Output",
       {{"--json", false, "",
         "after the command ends, print the result as one JSON object\n"
         "on stdout"},
        {"--result-file", true, "PATH", "write the JSON result to PATH"},
        {"--verbose", false, "",
         "log each step of the start on stderr with its time since the\n"
         "start (slot taken, cgroup ready, cloned, mounts done, ...);\n"
         "the command's own output is not touched",
         "-v"},
        {"-vv", false, "",
         "the steps and their details: ID maps, cgroup paths and the\n"
         "limits written, the mount plan, the seccomp program and the\n"
         "profile names it dropped (also -v -v)"},
        kHelpOption}},
  };
  return groups;
}

std::string run_usage() {
  return help_text(
      "cordon run [OPTIONS] [--] COMMAND [ARG...]",
      "Run COMMAND in a new sandbox: its own user, mount, PID, IPC, UTS, network (loopback\n"
      "only), cgroup and time namespaces; a host UID/GID range of its own; root inside holds\n"
      "only capabilities over its own IDs and namespaces; no_new_privs. Exits with COMMAND's\n"
      "status (128+N if killed by signal N). Options come before COMMAND.\n",
      run_option_groups(),
      "the command's own; 128+N when killed by signal N; 64 usage error (also a\n"
      "--bind target or --workdir the sandbox cannot have); 66 rootfs, bind source, io\n"
      "device or --cgroup-parent missing or unreadable; 73 --result-file cannot\n"
      "be created (found before the run); 77 not run as root; 125 the sandbox could not be\n"
      "set up; 126 the command is not executable; 127 the command was not found inside;\n"
      "124 wall-time limit; 123 cpu-time limit; 122 output limit; 121 out of memory.\n");
}

namespace {

// One option of run's table, parsed by parse_args, into o.
Status apply_run_option(RunOptions& o, const std::string& name, const std::string& v,
                        const char* (*getenv_fn)(const char*), const std::string& cwd) {
  if (name == "--json") {
    o.json = true;
  } else if (name == "--verbose" || name == "-vv") {
    o.verbose += name == "-vv" ? 2 : 1;
  } else if (name == "--no-cgroup") {
    o.spec.no_cgroup = true;
  } else if (name == "--seccomp-report") {
    o.spec.seccomp_report = true;
  } else if (name == "--tty") {
    o.spec.tty = true;
  } else if (name == "--boot") {
    o.spec.boot = true;
  } else if (name == "--stop-grace") {
    ASSIGN_OR_RETURN(o.spec.stop_grace_ns, parse_duration_ns(v));
  } else if (name == "--seccomp") {
    // A bare word that is no keyword and no file here is a mistyped keyword, not a path.
    if (v.find('/') == std::string::npos && v != "default" && v != "strict" && v != "unconfined" &&
        !sys::path_status(from_cwd(cwd, v), true).ok())
      return usage(name, "'" + v +
                             "': expected default, strict, unconfined or a profile file's path "
                             "(no such file here)");
    auto choice = spec::parse_seccomp_choice(v);
    if (!choice.ok()) return usage(name, choice.error().to_string());
    o.spec.seccomp = std::move(choice).value();
    // A relative profile path is the caller's, like a --bind source.
    if (o.spec.seccomp.kind == spec::SeccompChoice::Kind::kFile)
      o.spec.seccomp.path = from_cwd(cwd, v);
  } else if (name == "--caps") {
    auto caps = spec::parse_caps_choice(v);
    if (!caps.ok()) return usage(name, "'" + v + "': expected default or none");
    o.spec.caps = *caps;
  } else if (name == "--image" || name == "--store" || name == "--entrypoint" || name == "--user") {
    if (!o.image) {
      o.image.emplace();
      if (const char* env = getenv_fn("CORDON_IMAGE_STORE"); env != nullptr && *env != '\0')
        o.image->store = from_cwd(cwd, env);
    }
    if (name == "--image") o.image->ref = v;
    if (name == "--store") o.image->store = from_cwd(cwd, v);
    if (name == "--user") o.image->user = v;
    if (name == "--entrypoint")
      o.image->entrypoint = v.empty() ? std::vector<std::string>{} : std::vector<std::string>{v};
  } else if (name == "--rootfs") {
    o.spec.rootfs = v.empty() ? v : from_cwd(cwd, v);
  } else if (name == "--disk") {
    ASSIGN_OR_RETURN(o.spec.disk_bytes, parse_size(v));
  } else if (name == "--bind") {
    ASSIGN_OR_RETURN(spec::BindMount b, parse_bind(v));
    b.source = from_cwd(cwd, b.source);
    o.spec.binds.push_back(b);
  } else if (name == "--workdir") {
    o.spec.workdir = v;
  } else if (name == "--hostname") {
    o.spec.hostname = v;
  } else if (name == "--uid" || name == "--gid") {
    ASSIGN_OR_RETURN(uint64_t id, parse_uint(v, 0, spec::kIdsPerSandbox - 1));
    (name == "--uid" ? o.spec.uid : o.spec.gid) = static_cast<uint32_t>(id);
    o.ids_given = true;
  } else if (name == "--env") {
    size_t eq = v.find('=');
    if (eq == std::string::npos) {
      const char* from_caller = getenv_fn(v.c_str());
      if (from_caller != nullptr) o.spec.env.emplace_back(v, from_caller);
    } else {
      o.spec.env.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    }
  } else if (name == "--memory" || name == "--memory-swap" || name == "--output-limit" ||
             name == "--fsize" || name == "--stack") {
    ASSIGN_OR_RETURN(uint64_t bytes, parse_size(v));
    spec::Limits& l = o.spec.limits;
    if (name == "--memory") l.memory_bytes = bytes;
    if (name == "--memory-swap") l.memory_swap_bytes = bytes;
    if (name == "--output-limit") l.output_bytes = bytes;
    if (name == "--fsize") l.fsize_bytes = bytes;
    if (name == "--stack") l.stack_bytes = bytes;
  } else if (name == "--time" || name == "--cpu-time") {
    ASSIGN_OR_RETURN(uint64_t ns, parse_duration_ns(v));
    (name == "--time" ? o.spec.limits.wall_ns : o.spec.limits.cpu_time_ns) = ns;
  } else if (name == "--pids" || name == "--nofile") {
    ASSIGN_OR_RETURN(uint64_t n, parse_uint(v, 1, UINT32_MAX));
    (name == "--pids" ? o.spec.limits.pids : o.spec.limits.nofile) = n;
  } else if (name == "--cpus") {
    ASSIGN_OR_RETURN(uint64_t milli, parse_milli(v));
    if (milli > UINT32_MAX) return usage(name, "too large");
    o.spec.limits.cpu_millis = static_cast<uint32_t>(milli);
  } else if (name == "--cpu-weight") {
    ASSIGN_OR_RETURN(uint64_t w, parse_uint(v, 1, 10000));
    o.spec.limits.cpu_weight = static_cast<uint32_t>(w);
  } else if (name == "--io-read-bps" || name == "--io-write-bps") {
    TRY(add_io_limit(&o.spec.limits.io, v, name == "--io-write-bps"));
  } else if (name == "--cgroup-parent") {
    o.spec.cgroup_parent = v;
  } else if (name == "--name") {
    // inst.NAME is the name `cordon instance` registers an instance's sandbox under.
    if (v.rfind("inst.", 0) == 0)
      return usage(name, "'" + v + "': names starting with inst. are cordon instance's");
    TRY(isolate::validate_sandbox_name(v, name));
    o.name = v;
  } else if (name == "--launcher") {
    o.launcher = v;
    if (o.launcher.empty()) return usage(name, "needs a socket path");
  } else if (name == "--result-file") {
    o.result_file = v;
  } else {
    return usage(name, "in run's table but not handled");  // a bug: the table grew alone
  }
  return {};
}

}  // namespace

Result<RunOptions> parse_run_args(const std::vector<std::string>& args,
                                  const char* (*getenv_fn)(const char*), const std::string& cwd) {
  static const std::vector<OptionSpec> specs = all_options(run_option_groups());
  // Options come before the command: parsing stops at the first operand or "--".
  ASSIGN_OR_RETURN(ParsedArgs p, parse_args(args, specs, /*command_mode=*/true));
  RunOptions o;
  if (p.help) {
    o.help = true;
    return o;
  }
  for (const auto& [name, value] : p.options) {
    Status applied = apply_run_option(o, name, value, getenv_fn, cwd);
    if (applied.ok()) continue;
    // A value's parser names what it expected but not the flag: say both.
    Error e = applied.error();
    if (e.step == "usage") return e;
    return usage(name, "'" + value + "': " + (e.detail.empty() ? e.to_string() : e.detail));
  }
  // The launcher's supervisor is no process of the caller's terminal session: its size
  // changes (SIGWINCH) would never reach it.
  if (o.spec.tty && !o.launcher.empty())
    return usage("--tty", "not available with --launcher: run without --launcher (as root)");
  if (o.spec.boot && !o.launcher.empty())
    return usage("--boot", "not available with --launcher: run without --launcher (as root)");
  // The registry's entry belongs to the process that supervises the sandbox.
  if (!o.name.empty() && !o.launcher.empty())
    return usage("--name", "not available with --launcher: run without --launcher (as root)");
  o.spec.argv = std::move(p.command);
  // "-" reads as an option, not a command's name (and so it was before parse_args).
  if (!o.spec.argv.empty() && o.spec.argv[0] == "-")
    return usage("-", "unknown option (see cordon run --help)");
  if (o.image) {
    if (o.image->ref.empty())
      return usage("--image", o.image->user || o.image->entrypoint
                                  ? "--user and --entrypoint go with --image REF"
                                  : "--store goes with --image REF");
    if (o.spec.rootfs) return usage("--image", "--image and --rootfs cannot both be the root");
    o.image->ids_given = o.ids_given;
    // An image's Entrypoint or Cmd may be the command.
    return o;
  }
  if (o.spec.argv.empty())
    return usage("command", "no command given (cordon run [OPTIONS] -- COMMAND)");
  return o;
}

namespace {

const char* caller_getenv(const char* name) {
  return std::getenv(name);
}

// One line on stderr when a limit ended the run, naming the limit and its value: without
// it, `cordon run --time 1s -- sleep 10` would exit 124 and say nothing. Empty for a run
// that ended otherwise.
std::string limit_line(std::string_view reason, const spec::Limits& l) {
  if (reason == "wall-time")
    return "killed at the wall-clock limit (--time " + format_duration_ns(l.wall_ns) + ")";
  if (reason == "cpu-time")
    return "killed at the CPU time limit (--cpu-time " + format_duration_ns(l.cpu_time_ns) + ")";
  if (reason == "oom") return "killed out of memory (--memory " + format_size(l.memory_bytes) + ")";
  if (reason == "output-limit")
    return "stopped at the output limit (--output-limit " + format_size(l.output_bytes) +
           " of stdout and stderr together)";
  return "";
}

void say_limit(std::string_view reason, const spec::Limits& l) {
  std::string line = limit_line(reason, l);
  if (!line.empty()) log(LogLevel::kError, line);
}

// The end of a run for its caller, from its result document (made here, or sent back by
// a launcher): the error once on stderr, the denials with --seccomp-report, the result
// as asked.
int report(const RunOptions& opts, int status, const std::string& result, int result_fd) {
  auto j = nlohmann::json::parse(result, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    if (j.contains("reason") && j["reason"].is_string())
      say_limit(j["reason"].get<std::string>(), opts.spec.limits);
    if (j.contains("error") && j["error"].is_string())
      log(LogLevel::kError, j["error"].get<std::string>());
    if (opts.spec.seccomp_report && j.contains("seccomp"))
      log(LogLevel::kWarn, engine::denial_summary(j["seccomp"]));
  }
  if (opts.json || !opts.result_file.empty()) {
    if (opts.json) {
      // On a line of its own, also after a command whose output ended mid-line
      // (`cordon run --json -- printf 7`).
      bool mid_line = j.is_object() && j.contains("accounting") &&
                      j["accounting"].value("stdout_ends_mid_line", false);
      std::fflush(stdout);
      std::printf("%s%s\n", mid_line ? "\n" : "", result.c_str());
    }
    if (result_fd >= 0) {
      Status w = sys::write_all(result_fd, result + "\n", opts.result_file);
      if (!w.ok()) log(LogLevel::kError, "--result-file: " + w.error().to_string());
    }
  }
  return status;
}

plan::CallerEnv caller_env() {
  plan::CallerEnv caller;
  if (const char* t = std::getenv("TERM")) caller.term = t;
  if (const char* l = std::getenv("LANG")) caller.lang = l;
  return caller;
}

}  // namespace

int resolve_image(RunOptions* opts, std::string* error) {
  if (!opts->image) return 0;
  Status used = image::use_image(&opts->spec, *opts->image);
  if (used.ok()) return 0;
  *error = "--image " + opts->image->ref + ": " + used.error().to_string();
  return used.error().err != 0 ? kExitInput : kExitUsage;
}

int check_run_options(const std::vector<std::string>& options, std::string* error) {
  std::vector<std::string> args = options;
  args.insert(args.end(), {"--", "true"});
  auto here = sys::current_dir();
  auto opts = parse_run_args(args, caller_getenv, here.ok() ? *here : "/");
  if (!opts.ok()) {
    *error = opts.error().to_string();
    return kExitUsage;
  }
  if (int st = resolve_image(&*opts, error); st != 0) return st;
  engine::RunResult r = engine::check(opts->spec, caller_env());
  if (r.error) *error = r.error->to_string();
  return r.exit_status();
}

int run_main(const std::vector<std::string>& args) {
  auto here = sys::current_dir();
  std::string cwd = here.ok() ? *here : "/";
  auto opts = parse_run_args(args, caller_getenv, cwd);
  if (!opts.ok()) {
    log(LogLevel::kError, opts.error().to_string());
    return kExitUsage;
  }
  if (opts->help) {
    std::fputs(run_usage().c_str(), stdout);
    return 0;
  }
  if (opts->verbose > 0) set_log_level(opts->verbose >= 2 ? LogLevel::kDebug : LogLevel::kInfo);
  if (std::string error; int st = resolve_image(&*opts, &error)) {
    log(LogLevel::kError, error);
    return st;
  }
  // Checked before anything is touched (a launcher's caller needs no root: the launcher
  // has it), so the caller reads why and not the first step that happens to fail
  // (opening the slot's lock under /run/cordon).
  if (opts->launcher.empty() && sys::effective_uid() != 0) {
    log(LogLevel::kError, kNotRootMessage);
    return kExitNoPerm;
  }
  // The result's file is made before the run: a path that cannot be written is known
  // before the command has run, not after.
  UniqueFd result_fd;
  if (!opts->result_file.empty()) {
    auto fd = sys::open_path(opts->result_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (!fd.ok()) {
      log(LogLevel::kError, "--result-file: " + fd.error().to_string());
      return kExitCantCreate;
    }
    result_fd = std::move(fd).value();
  }
  plan::CallerEnv caller = caller_env();
  if (!opts->launcher.empty()) {
    // The launcher runs the spec for us, with our stdin, stdout and stderr.
    launcher::Request req{opts->spec, caller.term, caller.lang};
    auto reply = launcher::run_via(opts->launcher, req);
    if (!reply.ok()) {
      log(LogLevel::kError, reply.error().to_string());
      return kExitSetupFailed;
    }
    return report(*opts, reply->status, reply->result_json, result_fd.get());
  }
  // --name: reserved before anything starts; a live sandbox's name is refused (73).
  isolate::Registration name;
  if (!opts->name.empty()) {
    auto reserved = isolate::reserve_name(isolate::kDefaultStateDir, opts->name);
    if (!reserved.ok()) {
      log(LogLevel::kError, reserved.error().to_string());
      return reserved.error().err == EEXIST ? kExitCantCreate : kExitSetupFailed;
    }
    name = std::move(reserved).value();
  }
  engine::RunResult r = engine::run(opts->spec, caller, name.held() ? &name : nullptr);
  // The document is made only when someone reads it; the error is logged either way.
  if (opts->json || !opts->result_file.empty() || opts->spec.seccomp_report)
    return report(*opts, r.exit_status(), engine::result_to_json(r), result_fd.get());
  if (r.error) log(LogLevel::kError, r.error->to_string());
  say_limit(engine::reason_name(r.reason), r.spec.limits);
  return r.exit_status();
}

}  // namespace cordon::cli
