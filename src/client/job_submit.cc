#include "client/job_submit.h"

#include <unistd.h>

#include <cstdio>

#include "client/job_body.h"
#include "client/job_follow.h"
#include "client/output.h"
#include "sys/fs.h"

namespace cordon::client {
namespace {

using nlohmann::json;

// Uploads are bounded by the daemon (max_upload, 64 MiB by default); this bound only
// keeps a wrong file from being read into memory whole.
constexpr size_t kMaxUpload = 1ull << 30;

}  // namespace

std::string submit_help() {
  return client_help_text(
      "cordon job submit [OPTIONS] -- CMD [ARGS...]",
      "Submit a job to the daemon (POST /v1/jobs). Prints the job's id, or its JSON "
      "with --json; with --wait, how it ended follows on stderr.\n",
      kSubmitOptions,
      "0 done, 1 refused by the daemon, 64 usage, 69 daemon unreachable;\n"
      "--wait and --follow exit with the job's exit status (137: the daemon killed it,\n"
      "at a cancel past its grace or at its stop), or 1 when it has none (cancelled\n"
      "before it ran, lost).\n");
}

int job_submit(const std::vector<std::string>& argv, const Getenv& getenv) {
  auto args = parse_client_args(argv, kSubmitOptions, /*command_mode=*/true);
  if (!args.ok()) return usage_error(args.error());
  if (args->help) {
    std::fputs(submit_help().c_str(), stdout);
    return kExitOk;
  }
  bool json_out = args->has("--json");
  bool follow = args->has("--follow");
  bool wait = follow || args->has("--wait");
  // The job's stdout and the job's JSON would be mixed on one stream.
  if (follow && json_out)
    return usage_error("--follow: not with --json (the job's output is on stdout)");
  auto target = resolve_target(*args, getenv);
  if (!target.ok()) return usage_error(target.error());

  // Everything local is read and checked before the upload: a typo in --memory must not
  // leave an upload behind.
  auto check = job_body(*args, getenv, "");
  if (!check.ok()) {
    return check.error().step == "usage" ? usage_error(check.error()) : local_error(check.error());
  }
  Connection conn(std::move(target).value());
  std::string upload_id;
  if (args->has("--upload")) {
    auto tar = read_local_file(args->get("--upload"), kMaxUpload);
    if (!tar.ok()) return local_error(tar.error());
    auto up = conn.call("POST", "/v1/uploads", *tar, "application/x-tar");
    if (!up.ok() || !up->ok()) return failed(conn, up);
    upload_id = up->json.value("upload", "");
  }
  json body = std::move(check).value();
  if (!upload_id.empty()) body["upload"] = upload_id;

  auto r = conn.call("POST", "/v1/jobs", body.dump());
  if (!r.ok() || !r->ok()) return failed(conn, r);
  std::string id = r->json.value("id", "");
  if (!wait) {
    if (json_out) {
      print_json(r->json);
    } else {
      write_stdout(id + "\n");
    }
    return kExitOk;
  }
  if (follow) {
    if (int rc = follow_both(conn, id); rc != kExitOk) return rc;
  } else if (!json_out) {
    write_stdout(id + "\n");  // known at once: a wait cut short still leaves the id
  }
  json job;
  int rc = kExitOk;
  if (!wait_for_end(conn, id, &job, &rc)) return rc;
  if (json_out) {
    print_json(job);
  } else if (!follow) {
    // How it ended, for a person; stdout keeps the id alone for scripts that capture it.
    const json& status = job.contains("exit_status") ? job["exit_status"] : json();
    std::string line = "job " + id + " " + job.value("state", std::string("ended"));
    if (status.is_number_integer()) line += ", exit status " + std::to_string(status.get<int>());
    if (job.value("reason", json()).is_string())
      line += " (" + job["reason"].get<std::string>() + ")";
    to_stderr(line + "\n");
  }
  return job_exit_code(job);
}

}  // namespace cordon::client
