#include "jobs/runner.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/exit_codes.h"
#include "image/run_config.h"
#include "jobs/job_sandbox.h"
#include "launcher/client.h"
#include "sys/fs.h"

namespace cordon::jobs {
namespace {

// The steps of the result's timings_us that come before the command runs.
int64_t start_us(const nlohmann::json& result) {
  const auto& t = result.value("timings_us", nlohmann::json::object());
  if (!t.is_object() || !t.contains("total")) return -1;
  int64_t sum = 0;
  for (const auto& [step, v] : t.items()) {
    if (step == "total" || step == "exec_and_run" || step == "sandbox_exit" || step == "teardown")
      continue;
    if (v.is_number()) sum += v.get<int64_t>();
  }
  return sum;
}

// The command's stdin: /dev/null, the inline bytes (written to a file of the job's folder,
// outside the workspace, opened read-only and unlinked at once), or a regular file of the
// workspace, opened beneath it without following a symlink.
Result<UniqueFd> open_stdin(const JobSpec& spec, const JobFiles& files) {
  if (spec.has_stdin_content) {
    const std::string path = files.dir + "/stdin";
    {
      ASSIGN_OR_RETURN(UniqueFd w,
                       sys::open_path(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600));
      TRY(sys::write_all(w.get(), spec.stdin_content, path));
    }
    auto fd = sys::open_path(path, O_RDONLY | O_NOFOLLOW);
    (void)sys::unlink_path(path);
    return fd;
  }
  if (!spec.stdin_file.empty()) {
    ASSIGN_OR_RETURN(UniqueFd dir, sys::open_path(files.workspace(), O_RDONLY | O_DIRECTORY));
    auto fd = sys::open_beneath(dir.get(), spec.stdin_file, O_RDONLY | O_NONBLOCK);
    if (!fd.ok())
      return errno_error(
          fd.error().err, "stdin file",
          spec.stdin_file + " (not in the workspace: an input file or the upload's)");
    ASSIGN_OR_RETURN(sys::DirEntry st, sys::stat_fd(fd->get()));
    if (!S_ISREG(st.mode)) return logic_error("stdin file", spec.stdin_file, "not a regular file");
    return fd;
  }
  return sys::open_path("/dev/null", O_RDONLY);
}

}  // namespace

RunOutcome run_job(const Job& job, const JobFiles& files, const RunnerEnv& env,
                   uint64_t max_entries, const std::function<void(pid_t, UniqueFd)>& on_started) {
  RunOutcome out;
  auto fail = [&](const std::string& what, const Error& e) {
    out.exit_status = kExitSetupFailed;
    out.reason = "setup-failed: " + what + ": " + e.to_string();
    return out;
  };
  auto ws = Workspace::prepare(files, job.spec.disk, job.spec.files);
  if (!ws.ok()) return fail("workspace", ws.error());
  auto stdin_fd = open_stdin(job.spec, files);
  auto out_log = sys::open_path(files.stdout_log(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  auto err_log = sys::open_path(files.stderr_log(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  if (!stdin_fd.ok()) return fail("stdin", stdin_fd.error());
  if (!out_log.ok()) return fail("stdout log", out_log.error());
  if (!err_log.ok()) return fail("stderr log", err_log.error());

  JobPaths paths{files.workspace(),
                 job.spec.rootfs.empty() ? "" : env.images_dir + "/" + job.spec.rootfs};
  launcher::Request req{job_sandbox(job.spec, paths, env.settings.cgroup_parent), "", ""};
  if (!job.spec.image_id.empty()) {
    // The image the submission found, by its ID: its config applied under the job's own
    // command, environment and /workspace (image/run_config.h).
    image::ImageAsk ask;
    ask.ref = job.spec.image_id;
    ask.store = env.image_store;
    if (auto used = image::use_image(&req.spec, ask); !used.ok())
      return fail("image", used.error());
    req.spec.image->ref = job.spec.image;
  }
  launcher::CallOptions call;
  call.stdio = {stdin_fd->get(), out_log->get(), err_log->get()};
  call.on_started = on_started;
  auto reply = launcher::run_via(env.launcher_socket, req, call);
  if (!reply.ok() && reply.error().step == "connect") {
    // The launcher is not there (restarting): nothing ran, and the job goes back to the
    // queue rather than failing.
    out.launcher_unreachable = true;
    out.exit_status = kExitSetupFailed;
    out.reason = "setup-failed: launcher: " + reply.error().to_string();
    return out;
  }
  if (!reply.ok() && reply.error().err == ECONNRESET) {
    // Its supervisor died before it replied (killed; its sandbox went down with it): how
    // the command ended is not known here, so there is no exit status (job_end() gives
    // one when the daemon did the killing).
    out.supervisor_lost = true;
    out.reason = "killed";
  } else if (!reply.ok()) {
    out.exit_status = kExitSetupFailed;
    out.reason = "setup-failed: launcher: " + reply.error().to_string();
  } else {
    out.exit_status = reply->status;
    auto j = nlohmann::json::parse(reply->result_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("reason") && j["reason"].is_string()) {
      out.result_json = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      out.reason = j["reason"].get<std::string>();
      out.sandbox_start_us = start_us(j);
    } else if (j.is_object() && j.contains("error") && j["error"].is_string()) {
      out.reason = "setup-failed: launcher: " + j["error"].get<std::string>();
    }
  }
  if (out.reason.empty()) out.reason = out.exit_status == kExitOk ? "exited" : "setup-failed";
  if (auto st = ws->collect(files.files(), {job.spec.disk, max_entries}); !st.ok())
    out.collect_error = "workspace not collected: " + st.error().to_string();
  return out;
}

}  // namespace cordon::jobs
