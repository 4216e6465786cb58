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
#include "sys/fs.h"

namespace cordon::client {
namespace {

using nlohmann::json;

constexpr OptionSpec kJson = {"--json", false, "", "print the daemon's JSON"};

std::string job_usage() {
  return R"(Usage: cordon job COMMAND [OPTIONS]

Jobs on the cordon daemon.

Commands:
  submit [OPTIONS] -- CMD ARGS...   submit a job (cordon job submit --help)
  get ID                            one job, with what it used (memory, CPU, wall time)
  ls [--state S] [--limit N] [--all] [--tenant NAME]
                                    jobs in submission order (--tenant: the operator's)
  logs ID [--stderr] [--follow]     its stdout (or stderr), raw; --follow: both, live
  files ID                          the files the job left (path, type, size, mode)
  files ID --tar [-o OUT]           all of them as one tar
  files ID PATH [-o OUT]            one file the job left in its workspace
  cancel ID                         stop it (queued: never runs; running: killed)
  rm ID                             forget it, and remove its logs and files

)" + every_command_options({kJson}) +
         R"(
Exit status: 0 done, 1 refused by the daemon, 64 usage, 69 daemon unreachable; submit
--wait and --follow exit with the job's exit status.
)";
}

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
  if (a.has("--follow") && a.has("--stderr"))
    return follow_log(c, a.operands[0], stream, to_stdout);
  if (a.has("--follow")) return follow_both(c, a.operands[0]);
  auto r = c.call("GET", job_path(a) + "/logs?stream=" + stream);
  if (!r.ok() || !r->ok()) return failed(c, r);
  return write_stdout(r->body) ? kExitOk : kExitRefused;
}

// Writes body to -o OUT, or stdout without it (or with "-").
int write_out(const ParsedArgs& a, const std::string& body) {
  std::string out = a.get("-o");
  if (out.empty() || out == "-") return write_stdout(body) ? kExitOk : kExitRefused;
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f.write(body.data(), static_cast<std::streamsize>(body.size()));
  f.close();
  if (!f) return local_error(sys_error("write", out));
  return kExitOk;
}

// The tar streamed to OUT (or stdout) as it comes: it can be as large as the job's disk
// limit. OUT is created at the first byte, so a refusal leaves it as it was; a stream cut
// off removes it (a cut archive is never left looking whole).
int fetch_tar(Connection& c, const ParsedArgs& a) {
  const std::string out = a.get("-o");
  const bool to_file = !out.empty() && out != "-";
  std::ofstream f;
  bool write_failed = false;
  auto r = c.stream(job_path(a) + "/files.tar", [&](std::string_view piece) {
    if (to_file) {
      if (!f.is_open()) f.open(out, std::ios::binary | std::ios::trunc);
      f.write(piece.data(), static_cast<std::streamsize>(piece.size()));
      write_failed = !f;
    } else {
      write_failed = !write_stdout(piece);
    }
    return !write_failed;
  });
  const bool created = f.is_open();
  if (created) {
    f.close();
    write_failed = write_failed || !f;
  }
  const bool whole = r.ok() && r->ok() && !write_failed;
  if (!whole && created) (void)sys::unlink_path(out);
  if (write_failed) return to_file ? local_error(sys_error("write", out)) : kExitRefused;
  if (!r.ok() || !r->ok()) return failed(c, r);
  return kExitOk;
}

int job_files(Connection& c, const ParsedArgs& a) {
  if (a.operands.size() == 2) {
    if (a.has("--tar")) return usage_error("--tar: all the files, not with a PATH");
    const std::string& path = a.operands[1];
    // The daemon serves up to 256 MiB; the body is held whole so that a refusal is never
    // written into OUT.
    auto r = c.call("GET", job_path(a) + "/files/" + escape(path, true), "", "", 257u << 20);
    if (!r.ok() || !r->ok()) return failed(c, r);
    return write_out(a, r->body);
  }
  if (a.has("--tar")) {
    if (a.has("--json")) return usage_error("--tar: not with --json (the tar is the output)");
    return fetch_tar(c, a);
  }
  if (a.has("-o")) return usage_error("-o: with --tar or a PATH");
  auto r = c.call("GET", job_path(a) + "/files");
  if (!r.ok() || !r->ok()) return failed(c, r);
  if (a.has("--json")) {
    print_json(r->json);
    return kExitOk;
  }
  print_file_table(r->json.value("files", json::array()));
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
        {"--follow", false, "",
         "stream its stdout and stderr as they are written, each to ours,\n"
         "until the job ends (with --stderr: its stderr only, to stdout)"}},
       1,
       job_logs},
      {"files",
       "cordon job files ID [PATH] [OPTIONS]",
       "What the job left in its workspace, once it has ended: the list of its files and\n"
       "folders (path, type, size, mode), all of them as one tar (--tar), or one file\n"
       "(PATH, relative to the workspace).\n",
       {{"--tar", false, "", "all the files as one tar (GET /v1/jobs/ID/files.tar)"},
        {"-o", true, "OUT", "write the tar or the file to OUT (default: stdout)"},
        {"--json", false, "", "print the list as the daemon's JSON"}},
       1,
       job_files,
       2},
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
    std::fputs(job_usage().c_str(), i >= args.size() ? stderr : stdout);
    return i >= args.size() ? kExitUsage : kExitOk;
  }
  std::string name = args[i];
  std::vector<std::string> rest(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
  rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  if (name == "submit") return job_submit(rest, getenv);
  return run_command(commands(), "job", name, rest, getenv);
}

}  // namespace cordon::client
