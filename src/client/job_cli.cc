#include "client/job_cli.h"

#include <cstdio>
#include <fstream>

#include "base/log.h"
#include "base/parse.h"
#include "client/job_follow.h"
#include "client/job_submit.h"
#include "client/job_view.h"
#include "client/output.h"
#include "client/subcommand.h"

namespace cordon::client {
namespace {

using nlohmann::json;

constexpr const char* kJobUsage = R"(Usage: cordon job COMMAND [OPTIONS]

Jobs on the cordon daemon.

Commands:
  submit [OPTIONS] -- CMD ARGS...   submit a job (cordon job submit --help)
  get ID                            one job
  ls [--state S] [--limit N] [--all] [--tenant NAME]
                                    jobs in submission order (--tenant: the operator's)
  logs ID [--stderr] [--follow]     its stdout (or stderr), raw
  files ID PATH [-o OUT]            a file the job left in its workspace
  cancel ID                         stop it (queued: never runs; running: killed)
  rm ID                             forget it, and remove its logs and files

Options of every command:
  --json                print the daemon's JSON
  --url URL             unix:/PATH, http://HOST:PORT or https://HOST:PORT (env CORDON_URL;
                        default unix:/run/cordon/cordon.sock)
  --socket PATH         the daemon's Unix socket
  --ca FILE             CAs to trust for https (env CORDON_CA; default: the system's)
  --token-file FILE     the tenant's token (else env CORDON_TOKEN, else
                        ~/.config/cordon/token; none: root on the socket is the operator)
  -h, --help            help

Exit status: 0 done, 1 refused by the daemon, 64 usage, 69 daemon unreachable; submit
--wait and --follow exit with the job's exit status.
)";

bool to_stdout(std::string_view s) {
  return write_stdout(s);
}

std::string job_path(const ParsedArgs& a) {
  return "/v1/jobs/" + escape(a.operands[0]);
}

int job_get(Connection& c, const ParsedArgs& a) {
  auto r = c.call("GET", job_path(a));
  if (!r.ok() || !r->ok()) return failed(c, r);
  if (a.has("--json")) {
    print_json(r->json);
  } else {
    print_job(r->json);
  }
  return kExitOk;
}

int job_ls(Connection& c, const ParsedArgs& a) {
  std::string query;
  auto add = [&](const char* k, const std::string& v) {
    query += (query.empty() ? "?" : "&") + std::string(k) + "=" + escape(v);
  };
  if (a.has("--state")) add("state", a.get("--state"));
  if (a.has("--tenant")) add("tenant", a.get("--tenant"));
  if (a.has("--limit")) {
    if (!parse_uint(a.get("--limit"), 1, 1000).ok())
      return usage_error("--limit " + a.get("--limit") + ": 1-1000");
    add("limit", a.get("--limit"));
  }
  json jobs = json::array();
  json next = nullptr;
  for (;;) {
    std::string q = query;
    if (!next.is_null())
      q += (q.empty() ? "?" : "&") + std::string("after=") + escape(scalar_text(next));
    auto r = c.call("GET", "/v1/jobs" + q);
    if (!r.ok() || !r->ok()) return failed(c, r);
    for (auto& j : r->json.value("jobs", json::array())) jobs.push_back(std::move(j));
    next = r->json.value("next", json());
    if (!a.has("--all") || next.is_null()) break;
  }
  if (a.has("--json")) {
    print_json({{"jobs", jobs}, {"next", next}});
  } else {
    print_job_table(jobs);
    if (!next.is_null()) log(LogLevel::kWarn, "more jobs: --all lists them all");
  }
  return kExitOk;
}

int job_logs(Connection& c, const ParsedArgs& a) {
  std::string stream = a.has("--stderr") ? "stderr" : "stdout";
  if (a.has("--follow")) return follow_log(c, a.operands[0], stream, to_stdout);
  auto r = c.call("GET", job_path(a) + "/logs?stream=" + stream);
  if (!r.ok() || !r->ok()) return failed(c, r);
  return write_stdout(r->body) ? kExitOk : kExitRefused;
}

int job_files(Connection& c, const ParsedArgs& a) {
  const std::string& path = a.operands[1];
  // The daemon serves up to 256 MiB; the body is held whole so that a refusal is never
  // written into OUT.
  auto r = c.call("GET", job_path(a) + "/files/" + escape(path, true), "", "", 257u << 20);
  if (!r.ok() || !r->ok()) return failed(c, r);
  std::string out = a.get("-o");
  if (out.empty() || out == "-") return write_stdout(r->body) ? kExitOk : kExitRefused;
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f.write(r->body.data(), static_cast<std::streamsize>(r->body.size()));
  f.close();
  if (!f) return local_error(sys_error("write", out));
  return kExitOk;
}

int job_cancel(Connection& c, const ParsedArgs& a) {
  auto r = c.call("POST", job_path(a) + "/cancel");
  if (!r.ok() || !r->ok()) return failed(c, r);
  return print_done(r->json, a.has("--json"),
                    r->json.value("id", a.operands[0]) + " " + r->json.value("state", ""));
}

int job_rm(Connection& c, const ParsedArgs& a) {
  auto r = c.call("DELETE", job_path(a));
  if (!r.ok() || !r->ok()) return failed(c, r);
  return print_done(r->json, a.has("--json"), r->json.value("deleted", a.operands[0]));
}

constexpr OptionSpec kJson = {"--json", false, "", "print the daemon's JSON"};

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"get",
       "cordon job get ID [OPTIONS]",
       "One job: its state, exit status, command and limits.\n",
       {kJson},
       1,
       job_get},
      {"ls",
       "cordon job ls [OPTIONS]",
       "Jobs in submission order, a page at a time; --all follows every page.\n",
       {{"--state", true, "S",
         "only jobs in state S: queued, running, succeeded, failed,\n"
         "cancelled or lost"},
        {"--limit", true, "N", "jobs per page, 1-1000"},
        {"--all", false, "", "every page, not only the first"},
        {"--tenant", true, "NAME",
         "one tenant's jobs (the operator's; a tenant sees only its own)"},
        kJson},
       0,
       job_ls},
      {"logs",
       "cordon job logs ID [OPTIONS]",
       "The job's stdout (or stderr) as it wrote it.\n",
       {{"--stderr", false, "", "its stderr instead"},
        {"--follow", false, "", "stream it as it is written, until the job ends"}},
       1,
       job_logs},
      {"files",
       "cordon job files ID PATH [OPTIONS]",
       "A file the job left in its workspace (PATH relative to it), once the job has ended.\n",
       {{"-o", true, "OUT", "write it to OUT (default: stdout)"}},
       2,
       job_files},
      {"cancel",
       "cordon job cancel ID [OPTIONS]",
       "Stops the job: a queued one never runs, a running one is killed.\n",
       {kJson},
       1,
       job_cancel},
      {"rm",
       "cordon job rm ID [OPTIONS]",
       "Forgets an ended job and removes its logs and files.\n",
       {kJson},
       1,
       job_rm},
  };
  return list;
}

}  // namespace

int run_job_cli(const std::vector<std::string>& args, const Getenv& getenv) {
  // Global options may come before the command word: skip them (and their values) to find it.
  size_t i = command_word(args, 0);
  if (i >= args.size() || args[i] == "-h" || args[i] == "--help" || args[i] == "help") {
    std::fputs(kJobUsage, i >= args.size() ? stderr : stdout);
    return i >= args.size() ? kExitUsage : kExitOk;
  }
  std::string name = args[i];
  std::vector<std::string> rest(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
  rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  if (name == "submit") return job_submit(rest, getenv);
  return run_command(commands(), "job", name, rest, getenv);
}

}  // namespace cordon::client
