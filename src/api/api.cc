#include "api/api.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/cursor.h"
#include "api/subprocess.h"
#include "api/wire.h"
#include "archive/tar_write.h"
#include "base/log.h"
#include "base/parse.h"
#include "image/ref.h"
#include "image/store.h"
#include "jobs/outputs.h"
#include "jobs/tokens.h"
#include "sys/fs.h"
#include "sys/random.h"

namespace cordon::api {
namespace {

using jobs::Job;
using jobs::Tenant;
using nlohmann::json;

enum class Access { kOperator, kTenant, kAny };

struct Entry {
  Route route;
  Access access;
  http::Response (Api::*handler)(const Api::Call&);
};

constexpr size_t kPullBytes = 65536;  // a streamed response's piece

// The instance routes that run `cordon instance` as a child and hold a handler thread
// until it ends (a start, a stop, an exec, a file: up to minutes).
bool holds_a_thread(const Route& r) {
  std::string_view pattern = r.pattern, method = r.method;
  if (pattern.rfind("/v1/instances", 0) != 0) return false;
  if (method == "GET") return pattern == "/v1/instances/{name}/files/{path*}";
  return true;
}

http::Response json_response(int status, const json& body) {
  http::Response r;
  r.status = status;
  // Text a job controls (its reason, a name it gave) may not be UTF-8: replaced, never
  // a failure of the whole answer.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return r;
}

// The one place where the service's refusals become HTTP statuses.
int status_of(jobs::Refused kind) {
  switch (kind) {
    case jobs::Refused::kNone:
      return 200;
    case jobs::Refused::kInvalid:
      return 400;
    case jobs::Refused::kNotFound:
      return 404;
    case jobs::Refused::kConflict:
      return 409;
    case jobs::Refused::kNeverFits:
    case jobs::Refused::kUnresolved:
      return 422;
    case jobs::Refused::kTooLarge:
      return 413;
    case jobs::Refused::kLimited:
      return 429;
    case jobs::Refused::kUnavailable:
      return 503;
    case jobs::Refused::kInternal:
      return 500;
  }
  return 500;
}

http::Response refusal(const jobs::Refusal& f) {
  http::Response r = http::error(status_of(f.kind), f.message, f.field);
  // Over a quota or a rate: worth trying again, after a moment.
  if (f.kind == jobs::Refused::kLimited) r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace

// The table is in handle()'s translation unit so that the handlers stay private.
static const std::vector<Entry>& table() {
  static const std::vector<Entry> t = {
      {{"POST", "/v1/tenants"}, Access::kOperator, &Api::create_tenant},
      {{"GET", "/v1/tenants"}, Access::kOperator, &Api::list_tenants},
      {{"GET", "/v1/tenants/{tenant}"}, Access::kAny, &Api::get_tenant},
      {{"PATCH", "/v1/tenants/{tenant}"}, Access::kOperator, &Api::update_tenant},
      {{"DELETE", "/v1/tenants/{tenant}"}, Access::kOperator, &Api::delete_tenant},
      {{"POST", "/v1/tenants/{tenant}/tokens"}, Access::kOperator, &Api::issue_token},
      {{"GET", "/v1/tenants/{tenant}/tokens"}, Access::kOperator, &Api::list_tokens},
      {{"DELETE", "/v1/tenants/{tenant}/tokens/{token}"}, Access::kOperator, &Api::revoke_token},
      {{"GET", "/v1/images"}, Access::kAny, &Api::list_images},
      {{"POST", "/v1/uploads"}, Access::kTenant, &Api::upload},
      {{"POST", "/v1/jobs"}, Access::kTenant, &Api::submit},
      {{"GET", "/v1/jobs"}, Access::kAny, &Api::list_jobs},
      {{"GET", "/v1/jobs/{id}"}, Access::kAny, &Api::get_job},
      {{"GET", "/v1/jobs/{id}/logs"}, Access::kAny, &Api::job_logs},
      {{"GET", "/v1/jobs/{id}/files"}, Access::kAny, &Api::job_files},
      {{"GET", "/v1/jobs/{id}/files.tar"}, Access::kAny, &Api::job_files_tar},
      {{"GET", "/v1/jobs/{id}/files/{path*}"}, Access::kAny, &Api::job_file},
      {{"POST", "/v1/jobs/{id}/cancel"}, Access::kAny, &Api::cancel_job},
      {{"DELETE", "/v1/jobs/{id}"}, Access::kAny, &Api::delete_job},
      {{"POST", "/v1/instances"}, Access::kTenant, &Api::create_instance},
      {{"GET", "/v1/instances"}, Access::kAny, &Api::list_instances},
      {{"GET", "/v1/instances/{name}"}, Access::kAny, &Api::get_instance},
      {{"DELETE", "/v1/instances/{name}"}, Access::kAny, &Api::delete_instance},
      {{"POST", "/v1/instances/{name}/start"}, Access::kAny, &Api::start_instance},
      {{"POST", "/v1/instances/{name}/stop"}, Access::kAny, &Api::stop_instance},
      {{"POST", "/v1/instances/{name}/restart"}, Access::kAny, &Api::restart_instance},
      {{"POST", "/v1/instances/{name}/exec"}, Access::kAny, &Api::exec_instance},
      {{"GET", "/v1/instances/{name}/exec"}, Access::kAny, &Api::exec_terminal},
      {{"GET", "/v1/instances/{name}/files/{path*}"}, Access::kAny, &Api::get_instance_file},
      {{"PUT", "/v1/instances/{name}/files/{path*}"}, Access::kAny, &Api::put_instance_file},
      {{"GET", "/v1/instances/{name}/snapshots"}, Access::kAny, &Api::list_snapshots},
      {{"POST", "/v1/instances/{name}/snapshots"}, Access::kAny, &Api::create_snapshot},
      {{"POST", "/v1/instances/{name}/snapshots/{snapshot}/restore"},
       Access::kAny,
       &Api::restore_snapshot},
      {{"DELETE", "/v1/instances/{name}/snapshots/{snapshot}"},
       Access::kAny,
       &Api::delete_snapshot},
      {{"GET", "/metrics"}, Access::kOperator, &Api::metrics},
  };
  return t;
}

const std::vector<Route>& routes() {
  static const std::vector<Route> r = [] {
    std::vector<Route> out;
    for (const auto& e : table()) out.push_back(e.route);
    return out;
  }();
  return r;
}

Api::Api(jobs::Service& service, ApiOptions options)
    : service_(service),
      options_(std::move(options)),
      followers_(options_.max_followers_per_tenant, options_.max_followers),
      terminals_(options_.max_terminals_per_tenant, options_.max_terminals),
      long_calls_(options_.max_instance_calls_per_tenant, options_.max_instance_calls) {
  if (!options_.scratch_dir.empty()) remove_leftover_runs(options_.scratch_dir);
  if (options_.cursor_key.size() != kCursorKeyBytes) {
    auto key = sys::random_bytes(kCursorKeyBytes);
    // Without randomness no cursor is made (list_jobs answers 500 for a next page).
    options_.cursor_key = key.ok() ? *key : "";
  }
}

std::optional<Api::Caller> Api::authenticate(const http::Request& req, const http::Peer& peer) {
  std::string auth = req.header("authorization");
  if (auth.empty()) {
    if (options_.root_is_operator && peer.unix_socket && peer.uid == 0) return Caller{true, {}};
    return std::nullopt;
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0)
    return std::nullopt;
  std::string hash = jobs::token_hash(auth.substr(kBearer.size()));
  if (hash.empty()) return std::nullopt;
  if (!options_.operator_token_hash.empty() && hash == options_.operator_token_hash)
    return Caller{true, {}};
  auto info = service_.tenants().token_by_hash(hash);
  if (!info) return std::nullopt;
  if (info->tenant_id.empty()) return Caller{true, {}};
  auto tenant = service_.tenants().find(info->tenant_id);
  if (!tenant) return std::nullopt;
  return Caller{false, std::move(tenant)};
}

struct Api::Routed {
  std::optional<http::Response> refusal;
  const Entry* entry = nullptr;
  Params params;
  Caller caller;
};

Api::Routed Api::route(const http::Request& req, const http::Peer& peer) {
  Routed out;
  // Credentials first: without them, nothing is told, not even which paths exist.
  auto caller = authenticate(req, peer);
  if (!caller) {
    http::Response r =
        http::error(401, "missing or invalid credentials (Authorization: Bearer TOKEN)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    out.refusal = std::move(r);
    return out;
  }
  // The methods this caller may use on the path; a route of the operator's is not
  // told to a tenant: a tenant's PATCH of a tenant is 404, as for a path that does not
  // exist, not 405.
  std::string allow;
  bool hidden = false;
  for (const auto& e : table()) {
    auto p = match_path(e.route.pattern, req.path);
    if (!p) continue;
    bool visible = e.access != Access::kOperator || caller->is_operator;
    if (req.method == e.route.method) {
      if (!visible) {
        hidden = true;
        continue;
      }
      out.entry = &e;
      out.params = std::move(*p);
      break;
    }
    if (visible) allow += (allow.empty() ? "" : ", ") + std::string(e.route.method);
  }
  if (out.entry == nullptr) {
    if (allow.empty() || hidden) {
      out.refusal = http::error(404, "no such route: " + req.path);
    } else {
      http::Response r = http::error(405, "method not allowed on " + req.path);
      r.headers.emplace_back("Allow", allow);
      out.refusal = std::move(r);
    }
    return out;
  }
  if (out.entry->access == Access::kTenant && !caller->tenant) {
    out.refusal =
        http::error(403, "jobs, uploads and instances belong to tenants: use a tenant's token");
    return out;
  }
  out.caller = std::move(*caller);
  return out;
}

http::Admission Api::admit(const http::Request& head, const http::Peer& peer) {
  http::Admission a;
  a.body_limit = jobs::kMaxJobBody;  // a refused request that is larger still hears 413
  Routed r = route(head, peer);
  if (r.refusal) {
    a.refusal = std::move(r.refusal);
    return a;
  }
  bool upload = (r.entry->handler == &Api::upload && r.caller.tenant) ||
                r.entry->handler == &Api::put_instance_file;
  a.body_limit = upload ? options_.max_upload : jobs::kMaxJobBody;
  return a;
}

http::Response Api::handle(const http::Request& req, const http::Peer& peer) {
  // Routed again with the whole request: a token revoked since the head was admitted is
  // refused here.
  Routed r = route(req, peer);
  if (r.refusal) return std::move(*r.refusal);
  // The handler threads are few and every tenant's: a tenant's calls that hold one for
  // long are capped, and all tenants' together leave threads for everyone's other calls.
  std::shared_ptr<void> place;
  if (r.caller.tenant && holds_a_thread(r.entry->route)) {
    place = long_calls_.take(r.caller.tenant->id);
    if (!place)
      return refusal({jobs::Refused::kLimited, "",
                      "too many instance calls at once (at most " +
                          std::to_string(options_.max_instance_calls_per_tenant) + " per tenant, " +
                          std::to_string(options_.max_instance_calls) + " of all tenants)"});
  }
  try {
    return (this->*(r.entry->handler))(Call{req, std::move(r.params), std::move(r.caller)});
  } catch (const std::exception& e) {
    return http::error(500, std::string("internal error: ") + e.what());
  }
}

std::shared_ptr<void> Places::take(const std::string& tenant) {
  std::lock_guard lock(mu_);
  int& n = held_[tenant];
  if ((!tenant.empty() && n >= per_tenant_) || total_ >= all_) {
    if (n == 0) held_.erase(tenant);
    return nullptr;
  }
  ++n;
  ++total_;
  // Given back when the token (and every copy of it) is gone. (The pointer is only a
  // non-null token; nothing is deleted.)
  return std::shared_ptr<void>(this, [this, tenant](void*) {
    std::lock_guard lock(mu_);
    --total_;
    if (--held_[tenant] == 0) held_.erase(tenant);
  });
}

std::optional<Tenant> Api::find_tenant(const std::string& id_or_name) {
  // Ids and names are disjoint (jobs::valid_tenant_name): what has an id's form is
  // looked up as an id only, so that no name can reach another tenant.
  return service_.tenants().find(id_or_name);
}

std::string Api::tenant_name(const std::string& id) {
  auto t = service_.tenants().find(id);
  return t ? t->name : id;
}

json Api::job_view(const Job& job, const std::string& tenant_name, const Caller& caller) {
  if (caller.is_operator) return job_json(job, tenant_name, true);
  // The host paths a reason or an error may name (a failed setup's, a missing image's).
  const auto& config = service_.config();
  auto files = service_.files_of(job.id);
  Redactions redact = {
      {files.workspace(), "/workspace"},      {files.dir, "<job>"},
      {config.runner.images_dir + "/", ""},   {config.runner.images_dir, "<images>"},
      {config.runner.image_store, "<store>"}, {config.runner.launcher_socket, "<launcher>"},
      {config.state_dir, "<state>"},          {config.runner.settings.cgroup_parent, "<cgroup>"},
  };
  return job_json(job, tenant_name, false, redact);
}

std::optional<Job> Api::visible_job(const Call& c) {
  auto job = service_.job(c.params.at("id"));
  if (!job) return std::nullopt;
  if (!c.caller.is_operator && (!c.caller.tenant || job->tenant_id != c.caller.tenant->id))
    return std::nullopt;
  return job;
}

// --- tenants and tokens (the operator's) ---

http::Response Api::create_tenant(const Call& c) {
  auto parsed = jobs::parse_tenant_request(c.req.body, service_.config().default_quota, true);
  if (!parsed.ok()) return refusal(parsed.error);
  auto t = service_.tenants().create(*parsed.value);
  if (!t.ok()) {
    if (t.error().err == EEXIST) return http::error(409, "a tenant of that name exists", "name");
    return http::error(500, t.error().to_string());
  }
  return json_response(201, tenant_json(*t));
}

http::Response Api::list_tenants(const Call&) {
  json out = json::array();
  for (const auto& t : service_.tenants().list()) out.push_back(tenant_json(t));
  return json_response(200, {{"tenants", out}});
}

http::Response Api::get_tenant(const Call& c) {
  auto t = find_tenant(c.params.at("tenant"));
  if (!t || (!c.caller.is_operator && t->id != c.caller.tenant->id))
    return http::error(404, "no such tenant");
  return json_response(200, tenant_json(*t));
}

http::Response Api::update_tenant(const Call& c) {
  auto t = find_tenant(c.params.at("tenant"));
  if (!t) return http::error(404, "no such tenant");
  auto parsed = jobs::parse_tenant_request(c.req.body, t->quota, false);
  if (!parsed.ok()) return refusal(parsed.error);
  if (!parsed.value->name.empty()) t->name = parsed.value->name;
  t->quota = parsed.value->quota;
  auto updated = service_.tenants().update(*t);
  if (!updated.ok()) {
    if (updated.error().err == EEXIST)
      return http::error(409, "a tenant of that name exists", "name");
    return http::error(500, updated.error().to_string());
  }
  return json_response(200, tenant_json(*updated));
}

http::Response Api::delete_tenant(const Call& c) {
  auto t = find_tenant(c.params.at("tenant"));
  if (!t) return http::error(404, "no such tenant");
  // Its instances first (their disks, slots and pins are not the service's to remove);
  // the lock keeps a creation from slipping in between.
  std::lock_guard lock(instances_mu_);
  if (tenant_has_instances(t->id))
    return http::error(409,
                       "the tenant has instances: remove them first (DELETE /v1/instances/...)");
  auto r = service_.delete_tenant(t->id);
  if (!r.ok()) return refusal(r);
  return json_response(200, {{"deleted", t->id}});
}

http::Response Api::issue_token(const Call& c) {
  auto t = find_tenant(c.params.at("tenant"));
  if (!t) return http::error(404, "no such tenant");
  auto issued = service_.tenants().issue_token(t->id);
  if (!issued.ok()) return http::error(500, issued.error().to_string());
  json out = token_json(issued->second);
  out["token"] = issued->first;  // the only time it is shown
  out["tenant"] = t->name;
  return json_response(201, out);
}

http::Response Api::list_tokens(const Call& c) {
  auto t = find_tenant(c.params.at("tenant"));
  if (!t) return http::error(404, "no such tenant");
  json out = json::array();
  for (const auto& k : service_.tenants().tokens(t->id)) out.push_back(token_json(k));
  return json_response(200, {{"tokens", out}});
}

http::Response Api::revoke_token(const Call& c) {
  auto t = find_tenant(c.params.at("tenant"));
  if (!t) return http::error(404, "no such tenant");
  auto gone = service_.tenants().revoke_token(t->id, c.params.at("token"));
  if (!gone.ok()) return http::error(500, gone.error().to_string());
  if (!*gone) return http::error(404, "no such token");
  return json_response(200, {{"revoked", c.params.at("token")}});
}

// --- images ---

// The daemon's image store, as a job's "image" names them: the same for every tenant (the
// store is the operator's; what a tenant changes in an image stays in its sandbox).
http::Response Api::list_images(const Call&) {
  const std::string& root = service_.config().runner.image_store;
  auto store = image::Store::open(root, /*create=*/false);
  // No store yet: no image (the operator has not pulled or imported one).
  if (!store.ok() && store.error().err == ENOENT)
    return json_response(200, {{"images", json::array()}});
  if (!store.ok()) {
    log(LogLevel::kError, "image store: " + store.error().to_string());
    return http::error(500, "the image store cannot be read");
  }
  auto reading = store->lock(/*exclusive=*/false);
  auto records = reading.ok() ? store->list_images()
                              : Result<std::vector<image::ImageRecord>>(reading.error());
  auto refs = records.ok() ? store->read_refs()
                           : Result<std::map<std::string, std::string>>(records.error());
  if (!refs.ok()) {
    log(LogLevel::kError, "image store: " + refs.error().to_string());
    return http::error(500, "the image store cannot be read");
  }
  json out = json::array();
  for (const auto& r : *records) {
    json names = json::array();
    // The names that pin instances' images are the operator's, not shown to tenants.
    for (const auto& [name, id] : *refs)
      if (id == r.manifest && name.rfind(std::string(image::kInstancePinRegistry) + "/", 0) != 0)
        names.push_back(name);
    out.push_back({{"id", r.manifest},
                   {"names", names},
                   {"platform", r.platform},
                   {"layers", r.layers.size()},
                   {"size", r.size},
                   {"created", r.created}});
  }
  return json_response(200, {{"images", out}});
}

// --- jobs ---

http::Response Api::upload(const Call& c) {
  jobs::Refusal r;
  auto id = service_.uploads().store(*c.caller.tenant, c.req.body, &r);
  if (!id.ok()) return r.ok() ? http::error(500, id.error().to_string()) : refusal(r);
  return json_response(201, {{"upload", *id}, {"bytes", c.req.body.size()}});
}

http::Response Api::submit(const Call& c) {
  auto parsed = jobs::parse_job_request(c.req.body, c.caller.tenant->quota);
  if (!parsed.ok()) return refusal(parsed.error);
  jobs::Refusal r;
  auto job = service_.submit(*c.caller.tenant, std::move(*parsed.value), &r);
  if (!job.ok()) {
    if (r.ok()) return http::error(500, job.error().to_string());
    return refusal(r);
  }
  http::Response resp = json_response(201, job_view(*job, c.caller.tenant->name, c.caller));
  resp.headers.emplace_back("Location", "/v1/jobs/" + job->id);
  return resp;
}

http::Response Api::list_jobs(const Call& c) {
  jobs::JobFilter f;
  std::string state = c.req.query_param("state");
  if (!state.empty()) {
    f.state = jobs::parse_state(state);
    if (!f.state) return http::error(400, "unknown state '" + state + "'", "state");
  }
  std::string limit = c.req.query_param("limit");
  if (!limit.empty()) {
    auto n = parse_uint(limit, 1, 1000);
    if (!n.ok()) return http::error(400, "limit: 1-1000", "limit");
    f.limit = *n;
  }
  // A cursor is good for the caller that got it only (rest/cursor.h).
  const std::string scope = c.caller.tenant ? "tenant " + c.caller.tenant->id : "operator";
  std::string after = c.req.query_param("after");
  if (!after.empty()) {
    auto position = decode_cursor(options_.cursor_key, after, scope);
    if (!position)
      return http::error(400, "after: the 'next' cursor of a previous page of this caller",
                         "after");
    f.after_seq = *position;
  }
  if (c.caller.tenant) {
    f.tenant_id = c.caller.tenant->id;
  } else if (std::string t = c.req.query_param("tenant"); !t.empty()) {
    auto tenant = find_tenant(t);
    if (!tenant) return http::error(404, "no such tenant", "tenant");
    f.tenant_id = tenant->id;
  }
  // One more than asked: whether there is a next page.
  size_t want = f.limit;
  f.limit = want + 1;
  auto jobs = service_.jobs(f);
  json next = nullptr;
  if (jobs.size() > want) {
    auto nonce = sys::random_bytes(kCursorNonceBytes);
    std::string cursor =
        nonce.ok() ? encode_cursor(options_.cursor_key, jobs[want - 1].seq, scope, *nonce) : "";
    if (cursor.empty()) return http::error(500, "no page cursor could be made");
    next = cursor;
  }
  // The body is written job by job: a page of a thousand jobs with their results is never
  // held as one JSON tree besides.
  std::map<std::string, std::string> names;
  http::Response r;
  r.status = 200;
  r.body = "{\"jobs\":[";
  for (size_t i = 0; i < jobs.size() && i < want; ++i) {
    auto& n = names[jobs[i].tenant_id];
    if (n.empty()) n = tenant_name(jobs[i].tenant_id);
    if (i > 0) r.body += ',';
    r.body += job_view(jobs[i], n, c.caller).dump(-1, ' ', false, json::error_handler_t::replace);
  }
  r.body += "],\"next\":" + next.dump() + "}\n";
  return r;
}

http::Response Api::get_job(const Call& c) {
  auto job = visible_job(c);
  if (!job) return http::error(404, "no such job");
  return json_response(200, job_view(*job, tenant_name(job->tenant_id), c.caller));
}

http::Response Api::job_logs(const Call& c) {
  auto job = visible_job(c);
  if (!job) return http::error(404, "no such job");
  std::string stream = c.req.query_param("stream");
  if (stream.empty()) stream = "stdout";
  if (stream != "stdout" && stream != "stderr")
    return http::error(400, "stdout or stderr", "stream");
  std::string follow = c.req.query_param("follow");
  if (!follow.empty() && follow != "0" && follow != "1")
    return http::error(400, "0 or 1", "follow");
  if (job->files_expired)
    return http::error(410, "the job's logs were removed (retention or log quota)");
  jobs::JobFiles files = service_.files_of(job->id);
  jobs::LogStream which = stream == "stdout" ? jobs::LogStream::kStdout : jobs::LogStream::kStderr;
  // Streamed either way: a log can be larger than any response body should be held.
  // Without follow it ends at the end of the file; with it, once the job has ended.
  bool wait = follow == "1";
  http::Response r;
  r.content_type = "text/plain; charset=utf-8";
  std::string id = job->id;
  // A follower costs a socket and a timer (the server pulls its stream): still, a tenant
  // may hold only so many, and all tenants together so many.
  std::shared_ptr<void> slot;
  if (wait && c.caller.tenant) {
    slot = followers_.take(c.caller.tenant->id);
    if (!slot)
      return refusal({jobs::Refused::kLimited, "",
                      "too many log followers (at most " +
                          std::to_string(options_.max_followers_per_tenant) + " per tenant, " +
                          std::to_string(options_.max_followers) + " in all)"});
  }
  // Pulled by the server: each call gives what the file holds past what was sent (up to
  // 64 KiB), and says whether more may come.
  struct Follow {
    uint64_t offset = 0;
    UniqueFd fd;
  };
  auto state = std::make_shared<Follow>();
  r.pull = [this, id, files, which, wait, slot, state](std::string* out) {
    // Whether it has ended is read before the file: bytes written before the end are
    // then all in the file when it is read, and none is missed.
    auto job = wait ? service_.job(id) : std::optional<jobs::Job>();
    // A stopping daemon ends its followers too.
    bool ended = !wait || !job || jobs::is_terminal(job->state) || service_.stopping();
    if (!state->fd.valid()) state->fd = jobs::open_log(files, which);
    if (state->fd.valid()) {
      out->resize(kPullBytes);
      auto n = sys::read_at(state->fd.get(), out->data(), out->size(), state->offset);
      size_t got = n.ok() ? *n : 0;
      out->resize(got);
      state->offset += got;
      if (got > 0) return http::Pull::kMore;  // more may be there at once
    }
    return ended ? http::Pull::kEnd : http::Pull::kMore;
  };
  return r;
}

std::optional<Job> Api::ended_job_with_files(const Call& c, http::Response* refused) {
  auto job = visible_job(c);
  if (!job) {
    *refused = http::error(404, "no such job");
  } else if (!jobs::is_terminal(job->state)) {
    *refused = http::error(409, "the job has not ended: its files are collected when it ends");
  } else if (job->files_expired) {
    *refused = http::error(410, "the job's files were removed (retention or log quota)");
  } else {
    return job;
  }
  return std::nullopt;
}

Result<std::vector<jobs::OutputEntry>> Api::output_entries(const Job& job) {
  auto tenant = service_.tenants().find(job.tenant_id);
  uint64_t most =
      tenant ? std::max(tenant->quota.max_files, tenant->quota.job_files) : jobs::Quota{}.max_files;
  return jobs::list_output_files(service_.files_of(job.id), most);
}

http::Response Api::job_files(const Call& c) {
  http::Response no;
  auto job = ended_job_with_files(c, &no);
  if (!job) return no;
  auto entries = output_entries(*job);
  if (!entries.ok()) return http::error(500, "list files: " + entries.error().to_string());
  http::Response r;
  r.status = 200;
  r.body = "{\"files\":[";
  for (size_t i = 0; i < entries->size(); ++i) {
    const auto& e = (*entries)[i];
    json f = {
        {"path", e.path}, {"type", e.is_dir ? "dir" : "file"}, {"size", e.size}, {"mode", e.mode}};
    if (i > 0) r.body += ',';
    r.body += f.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  r.body += "]}\n";
  return r;
}

http::Response Api::job_files_tar(const Call& c) {
  http::Response no;
  auto job = ended_job_with_files(c, &no);
  if (!job) return no;
  auto entries = output_entries(*job);
  if (!entries.ok()) return http::error(500, "list files: " + entries.error().to_string());
  // Streamed: headers, each file's data read in pieces, padding, the end. Nothing is held
  // whole; a file that shrank since it was listed cuts the stream off (the client sees a
  // broken transfer, never a wrong archive).
  struct TarState {
    std::vector<jobs::OutputEntry> entries;
    size_t next = 0;      // the next entry to start
    UniqueFd fd;          // the file being sent
    uint64_t size = 0;    // its size as listed
    uint64_t offset = 0;  // what of it was sent
  };
  auto st = std::make_shared<TarState>();
  st->entries = std::move(entries).value();
  jobs::JobFiles files = service_.files_of(job->id);
  const int64_t mtime = job->ended_ms / 1000;
  http::Response r;
  r.content_type = "application/x-tar";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + job->id + ".tar\"");
  r.pull = [st, files, mtime](std::string* out) {
    out->clear();
    while (out->size() < kPullBytes) {
      if (st->fd.valid()) {
        if (st->offset < st->size) {
          size_t want = std::min<uint64_t>(kPullBytes, st->size - st->offset);
          size_t at = out->size();
          out->resize(at + want);
          auto n = sys::read_at(st->fd.get(), out->data() + at, want, st->offset);
          if (!n.ok() || *n == 0) return http::Pull::kCut;
          out->resize(at + *n);
          st->offset += *n;
          continue;
        }
        *out += archive::tar_padding(st->size);
        st->fd.reset();
        continue;
      }
      if (st->next >= st->entries.size()) {
        *out += archive::tar_end();
        return http::Pull::kEnd;
      }
      const auto& e = st->entries[st->next++];
      if (!e.is_dir) {
        jobs::Refusal why;
        auto opened = jobs::open_output_file(files, e.path, &why);
        if (!opened || opened->size != e.size) return http::Pull::kCut;
        st->fd = std::move(opened->fd);
        st->size = e.size;
        st->offset = 0;
      }
      *out += archive::tar_header({e.path, e.is_dir, e.mode, e.size, mtime});
    }
    return http::Pull::kMore;
  };
  return r;
}

http::Response Api::job_file(const Call& c) {
  http::Response no;
  auto job = ended_job_with_files(c, &no);
  if (!job) return no;
  jobs::Refusal why;
  auto opened = jobs::open_output_file(service_.files_of(job->id), c.params.at("path"), &why);
  if (!opened) return refusal(why);
  // Streamed in pieces: a large file never sits whole in the daemon's memory.
  http::Response r;
  r.content_type = "application/octet-stream";
  auto file = std::make_shared<UniqueFd>(std::move(opened->fd));
  uint64_t size = opened->size;
  auto offset = std::make_shared<uint64_t>(0);
  r.pull = [file, size, offset](std::string* out) {
    if (*offset >= size) return http::Pull::kEnd;
    out->resize(std::min<uint64_t>(kPullBytes, size - *offset));
    auto n = sys::read_at(file->get(), out->data(), out->size(), *offset);
    if (!n.ok() || *n == 0) return http::Pull::kCut;  // shorter than it was: cut off
    out->resize(*n);
    *offset += *n;
    return *offset >= size ? http::Pull::kEnd : http::Pull::kMore;
  };
  return r;
}

http::Response Api::cancel_job(const Call& c) {
  auto job = visible_job(c);
  if (!job) return http::error(404, "no such job");
  auto r = service_.cancel(job->id);
  if (!r.ok()) return refusal(r);
  auto now = service_.job(job->id);
  return json_response(202, job_view(now ? *now : *job, tenant_name(job->tenant_id), c.caller));
}

http::Response Api::delete_job(const Call& c) {
  auto job = visible_job(c);
  if (!job) return http::error(404, "no such job");
  auto r = service_.remove(job->id);
  if (!r.ok()) return refusal(r);
  return json_response(200, {{"deleted", job->id}});
}

http::Response Api::metrics(const Call&) {
  http::Response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = service_.metrics();
  return r;
}

}  // namespace cordon::api
