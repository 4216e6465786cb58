#include "daemon_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "client/transport.h"

namespace cordon::testing {

std::string HttpOut::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

Daemon::Daemon(std::vector<std::string> extra) : extra_(std::move(extra)) {}

Daemon::~Daemon() {
  if (pid_ > 0) stop();
}

bool Daemon::start() {
  std::vector<std::string> argv = {
      cordon_binary(), "daemon",      "--config",     "/dev/null",
      "--state-dir",   state_dir(),   "--run-dir",    dir() + "/run",
      "--socket",      socket(),      "--images-dir", dir() + "/images",
      "--image-store", image_store(), "--netns-pool", "2"};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  std::string log_path = dir() + "/daemon.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(log, 2);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(250);
  }
  return wait_until(
             10000,
             [&] { return call("GET", "/v1/tenants").status == 200 || !process_exists(pid_); }) &&
         process_exists(pid_);
}

int Daemon::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = -1;
  for (int i = 0; i < 3000; ++i) {
    int ws;
    if (::waitpid(pid_, &ws, WNOHANG) == pid_) {
      status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
      pid_ = -1;
      return status;
    }
    ::usleep(10000);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return status;
}

void Daemon::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string Daemon::log() const {
  return read_file(dir() + "/daemon.log");
}

HttpOut Daemon::call(const std::string& method, const std::string& target, const std::string& body,
                     const std::string& token,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpOut out;
  client::Endpoint ep;
  ep.unix_path = socket();
  auto client = client::Transport::create(ep, 30000);
  if (!client.ok()) {
    out.body = client.error().to_string();
    return out;
  }
  auto h = headers;
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  auto r = client->request(method, target, h, body);
  if (!r.ok()) {
    out.body = r.error().to_string();
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  out.headers = r->headers;
  out.json = nlohmann::json::parse(out.body, nullptr, false);
  return out;
}

std::string Daemon::tenant(const std::string& name, const nlohmann::json& quota) {
  nlohmann::json body = {{"name", name}};
  if (!quota.is_null()) body["quota"] = quota;
  auto t = call("POST", "/v1/tenants", body.dump());
  EXPECT_EQ(t.status, 201) << t.body;
  auto k = call("POST", "/v1/tenants/" + name + "/tokens");
  EXPECT_EQ(k.status, 201) << k.body;
  return k.json.is_object() ? k.json.value("token", "") : "";
}

std::string Daemon::submit(const std::string& token, const nlohmann::json& job) {
  auto r = call("POST", "/v1/jobs", job.dump(), token);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.status == 201 ? r.json.value("id", "") : "";
}

nlohmann::json Daemon::wait_ended(const std::string& token, const std::string& id, int timeout_ms) {
  nlohmann::json job;
  bool ended = wait_until(timeout_ms, [&] {
    auto r = call("GET", "/v1/jobs/" + id, "", token);
    if (r.status != 200) return false;
    job = r.json;
    std::string s = job.value("state", "");
    return s != "queued" && s != "running";
  });
  return ended ? job : nlohmann::json();
}

bool Daemon::wait_state(const std::string& token, const std::string& id, const std::string& state,
                        int timeout_ms) {
  return wait_until(timeout_ms, [&] {
    auto r = call("GET", "/v1/jobs/" + id, "", token);
    return r.status == 200 && r.json.value("state", "") == state;
  });
}

}  // namespace cordon::testing
