// A real `cordon daemon` for the service's tests: its state, runtime files and socket in
// a temporary folder, started and stopped (or killed with SIGKILL, and started again on
// the same state) by the test, and spoken to over real HTTP.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace cordon::testing {

struct HttpOut {
  int status = -1;  // -1: no response (the error is in body)
  std::string body;
  nlohmann::json json;  // the body parsed, when it is JSON
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(const std::string& name) const;
};

// A job request body: `sh -c script`, with a timeout.
inline nlohmann::json sh_job(const std::string& script, const std::string& timeout = "60s") {
  return {{"command", {"sh", "-c", script}}, {"timeout", timeout}};
}

class Daemon {
 public:
  // extra: more `cordon daemon` flags (e.g. {"--max-running", "2"}).
  explicit Daemon(std::vector<std::string> extra = {});
  ~Daemon();  // SIGTERM, then waits (SIGKILL after 30 s)
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  bool start();  // false when it did not listen within 10 s
  int stop();    // SIGTERM; its exit status
  void kill9();  // SIGKILL, and reaped
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_.path(); }
  std::string socket() const { return dir() + "/run/cordon.sock"; }
  std::string state_dir() const { return dir() + "/state"; }
  std::string image_store() const { return dir() + "/store"; }  // `cordon image --store`
  std::string log() const;                                      // its stderr so far

  // One request over the Unix socket. token empty: as root without a token (operator).
  HttpOut call(const std::string& method, const std::string& target, const std::string& body = "",
               const std::string& token = "",
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Creates a tenant (quota: a JSON object or null) and returns a token of it.
  std::string tenant(const std::string& name, const nlohmann::json& quota = nullptr);
  // Submits a job; returns its id ("" and a gtest failure when refused).
  std::string submit(const std::string& token, const nlohmann::json& job);
  // Polls until the job is in one of the ended states; returns the job (null on timeout).
  nlohmann::json wait_ended(const std::string& token, const std::string& id,
                            int timeout_ms = 30000);
  // Polls until the job's state is `state`.
  bool wait_state(const std::string& token, const std::string& id, const std::string& state,
                  int timeout_ms = 30000);

 private:
  TempDir dir_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

}  // namespace cordon::testing
