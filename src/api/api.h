// The daemon's REST API (docs/api.md, docs/openapi.json): routes to typed calls on the
// service, each behind authentication.
//
// Who calls: the operator (root on the Unix socket without a token, or the operator's
// token) reaches everything; a tenant's token reaches that tenant's jobs and nothing
// else: another tenant's job answers 404 exactly as a job that does not exist. A request
// without valid credentials is 401.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "http/request.h"
#include "http/response.h"
#include "http/server.h"
#include "jobs/outputs.h"
#include "jobs/service.h"

namespace cordon::api {

struct ApiOptions {
  std::string operator_token_hash;     // jobs::token_hash of the operator's token; empty: none
  bool root_is_operator = true;        // root on the Unix socket, without a token
  int max_followers_per_tenant = 256;  // log followers (a socket and a timer each)
  int max_followers = 4096;            // of all tenants together
  // Terminals (WebSocket exec): each holds a pseudo-terminal of the host's, of which the
  // kernel has only kernel.pty.max, and two processes.
  int max_terminals_per_tenant = 8;
  int max_terminals = 128;  // of all callers together
  // Instance calls that hold a handler thread until their child ends (create, start, stop,
  // restart, delete, exec, files, snapshots): at once, per tenant and of all tenants
  // (fewer than the server's workers, so that other calls always find one).
  int max_instance_calls_per_tenant = 2;
  int max_instance_calls = 3;
  // The key of the page cursors (rest/cursor.h), kCursorKeyBytes: kept with the state so
  // that cursors outlive a restart. Another size: a random key for this process.
  std::string cursor_key;
  // The largest body of a tenant's upload (the largest of any other request is
  // jobs::kMaxJobBody).
  size_t max_upload = 64u << 20;
  // Tenants' instances (docs/instances.md, "Through the daemon"): their root (one for all
  // tenants: an instance's name there is its tenant's id, '-', the name the tenant gave),
  // the binary that manages them (`cordon instance ...`, run as a child), a scratch folder
  // of root's for those runs. An empty root: no instance routes work (503).
  std::string instances_root;
  std::string cordon_binary;
  std::string scratch_dir;
};

// Places held at once, per tenant and in all (log followers, terminals): take() gives a
// token, or null when the tenant (or everyone) holds its maximum; the place is free again
// when the token's last copy goes. The operator (tenant "") counts in the total only.
class Places {
 public:
  Places(int per_tenant, int all) : per_tenant_(per_tenant), all_(all) {}
  std::shared_ptr<void> take(const std::string& tenant);

 private:
  std::mutex mu_;
  std::map<std::string, int> held_;  // by tenant
  int total_ = 0;
  int per_tenant_, all_;
};

struct Route {
  const char* method;
  const char* pattern;
};
// Every route the API serves (the OpenAPI document is checked against this list).
const std::vector<Route>& routes();

class Api {
 public:
  Api(jobs::Service& service, ApiOptions options);
  // From the head alone, before any byte of the body is read: 401 without valid
  // credentials, 404/405 for a route this caller does not have, 403 for a route that is a
  // tenant's; otherwise the largest body it may send: max_upload for a tenant's upload,
  // jobs::kMaxJobBody for everything else (so that no one makes the daemon hold a large
  // body before being authenticated).
  http::Admission admit(const http::Request& head, const http::Peer& peer);
  http::Response handle(const http::Request& req, const http::Peer& peer);

  struct Caller {
    bool is_operator = false;
    std::optional<jobs::Tenant> tenant;
  };
  struct Call {
    const http::Request& req;
    Params params;
    Caller caller;
  };

  // Route handlers, called through the route table (api.cc).
  http::Response create_tenant(const Call& c);
  http::Response list_tenants(const Call& c);
  http::Response get_tenant(const Call& c);
  http::Response update_tenant(const Call& c);
  http::Response delete_tenant(const Call& c);
  http::Response issue_token(const Call& c);
  http::Response list_tokens(const Call& c);
  http::Response revoke_token(const Call& c);
  http::Response list_images(const Call& c);
  http::Response upload(const Call& c);
  http::Response submit(const Call& c);
  http::Response list_jobs(const Call& c);
  http::Response get_job(const Call& c);
  http::Response job_logs(const Call& c);
  http::Response job_file(const Call& c);
  http::Response job_files(const Call& c);
  http::Response job_files_tar(const Call& c);
  http::Response cancel_job(const Call& c);
  http::Response delete_job(const Call& c);
  http::Response metrics(const Call& c);
  // Instances (instances_api.cc).
  http::Response create_instance(const Call& c);
  http::Response list_instances(const Call& c);
  http::Response get_instance(const Call& c);
  http::Response delete_instance(const Call& c);
  http::Response start_instance(const Call& c);
  http::Response stop_instance(const Call& c);
  http::Response restart_instance(const Call& c);
  http::Response create_snapshot(const Call& c);
  http::Response list_snapshots(const Call& c);
  http::Response restore_snapshot(const Call& c);
  http::Response delete_snapshot(const Call& c);
  http::Response exec_instance(const Call& c);
  http::Response exec_terminal(const Call& c);  // terminal_api.cc
  http::Response get_instance_file(const Call& c);
  http::Response put_instance_file(const Call& c);
  // At the daemon's start: the instances marked autostart (running when last stopped by
  // no one) started again, in the calling thread. Errors are logged.
  void autostart_instances();

 private:
  std::optional<Caller> authenticate(const http::Request& req, const http::Peer& peer);
  struct Routed;
  // The caller and its route, or the refusal (401, 403, 404, 405).
  Routed route(const http::Request& req, const http::Peer& peer);
  // The job, if the caller may see it (404 otherwise: nothing tells it exists).
  std::optional<jobs::Job> visible_job(const Call& c);
  std::string tenant_name(const std::string& id);
  // A job as this caller may see it (rest/wire.h's job_json).
  nlohmann::json job_view(const jobs::Job& job, const std::string& tenant_name,
                          const Caller& caller);
  std::optional<jobs::Tenant> find_tenant(const std::string& id_or_name);
  // The job whose files are asked for, or the refusal (404; 409 while it runs; 410 once
  // they were removed).
  std::optional<jobs::Job> ended_job_with_files(const Call& c, http::Response* refused);
  // What the job left, listed (at most as many entries as its tenant may keep).
  Result<std::vector<jobs::OutputEntry>> output_entries(const jobs::Job& job);

  // The instance's name on the host (TENANT_ID-NAME) that the caller's {name} means, or
  // "" when it names none it may see: a tenant names its own by the name it gave, the
  // operator any by its host name.
  std::string instance_host_name(const Call& c);
  // `cordon instance --instances ROOT args...` with the refusals it exits with as HTTP
  // statuses; on success the child's stdout.
  Result<std::string> run_instance_cli(const Call& c, std::vector<std::string> args,
                                       http::Response* refused, uint64_t timeout_ms = 300000);
  bool instance_exists(const std::string& host_name);
  bool tenant_has_instances(const std::string& tenant_id);
  http::Response instance_answer(const Call& c, const std::string& host_name, int status);
  http::Response instance_lifecycle(const Call& c, const char* verb);

  jobs::Service& service_;
  ApiOptions options_;
  std::mutex instances_mu_;  // a creation's quota check and the creation, together
  Places followers_;
  Places terminals_;
  Places long_calls_;
};

}  // namespace cordon::api
