#include "client/job_follow.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "base/log.h"
#include "client/output.h"
#include "sys/clock.h"
#include "sys/fs.h"

namespace cordon::client {

using nlohmann::json;

bool is_terminal(const std::string& state) {
  return state != "queued" && state != "running";
}

bool wait_for_end(Connection& c, const std::string& id, json* job, int* exit_code) {
  // From 50 ms to 1 s between polls: short jobs end quickly, long ones cost little.
  useconds_t delay = 50000;
  for (;;) {
    auto r = c.call("GET", "/v1/jobs/" + escape(id));
    if (!r.ok() || !r->ok()) {
      *exit_code = failed(c, r);
      return false;
    }
    if (is_terminal(r->json.value("state", ""))) {
      *job = r->json;
      return true;
    }
    sys::sleep_ns(uint64_t{delay} * 1000);
    delay = std::min<useconds_t>(delay * 3 / 2, 1000000);
  }
}

int follow_log(Connection& c, const std::string& id, const std::string& stream,
               bool (*out)(std::string_view)) {
  // The stream's status is only known once it is over, and its bytes are written as they
  // come: ask for the job first, so that what is refused (404, 410) is refused here.
  auto first = c.call("GET", "/v1/jobs/" + escape(id));
  if (!first.ok() || !first->ok()) return failed(c, first);
  if (first->json.value("files_expired", false)) {
    log(LogLevel::kError, "410 the job's logs were removed (retention or log quota)");
    return kExitRefused;
  }
  std::string path = "/v1/jobs/" + escape(id) + "/logs?follow=1&stream=" + stream;
  uint64_t written = 0;  // across attempts: a new stream starts at byte 0 again
  int failures = 0;
  for (;;) {
    uint64_t seen = 0;
    uint64_t before = written;
    bool out_gone = false;
    auto r = c.stream(path, [&](std::string_view piece) {
      uint64_t end = seen + piece.size();
      if (end > written) {
        size_t skip = written > seen ? static_cast<size_t>(written - seen) : 0;
        if (!out(piece.substr(skip))) {
          out_gone = true;
          return false;
        }
        written = end;
      }
      seen = end;
      return true;
    });
    if (out_gone) return kExitRefused;  // our reader went away (a closed pipe)
    if (r.ok()) {
      if (r->ok()) return kExitOk;
      return refused(*r);
    }
    // Broken off (the daemon restarted, a network hiccup): while the job is there, resume;
    // five breaks in a row without a byte in between end it.
    failures = written > before ? 0 : failures + 1;
    if (failures >= 5) return unreachable(c, r.error());
    auto job = c.call("GET", "/v1/jobs/" + escape(id));
    if (job.ok() && !job->ok()) return refused(*job);
    sys::sleep_ns(1000000000);
  }
}

bool to_stderr(std::string_view s) {
  return sys::write_all(STDERR_FILENO, s, "stderr").ok();
}

int follow_both(const Connection& c, const std::string& id) {
  // Each stream waits on its own socket: a quiet stdout never holds back what stderr says.
  Connection err_conn(c.target());
  int err_rc = kExitOk;
  std::thread err_thread([&] { err_rc = follow_log(err_conn, id, "stderr", to_stderr); });
  Connection out_conn(c.target());
  int out_rc = follow_log(out_conn, id, "stdout", write_stdout);
  err_thread.join();
  return out_rc != kExitOk ? out_rc : err_rc;
}

int job_exit_code(const json& job) {
  const json& s = job.contains("exit_status") ? job["exit_status"] : json();
  if (s.is_number_integer() && s.get<int>() >= 0 && s.get<int>() <= 255) return s.get<int>();
  std::string reason =
      job.value("reason", json()).is_string() ? job["reason"].get<std::string>() : "";
  log(LogLevel::kError, "job " + job.value("id", std::string()) + " " +
                            job.value("state", std::string("ended")) + " without an exit status" +
                            (reason.empty() ? "" : " (" + reason + ")"));
  return kExitRefused;
}

}  // namespace cordon::client
