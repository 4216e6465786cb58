// The instance routes (docs/api.md, "Instances"): each tenant's instances are its own,
// named on the host TENANT_ID-NAME under one instances root, and managed by the daemon's
// own binary (`cordon instance --instances ROOT ...`) run as a child: the same code as
// the CLI's, and no sandbox is cloned or entered by the multithreaded daemon itself.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/instance_request.h"
#include "api/subprocess.h"
#include "base/log.h"
#include "base/parse.h"
#include "image/ref.h"
#include "instance/disk.h"
#include "instance/instance.h"
#include "jobs/job_request.h"

namespace cordon::api {
namespace {

using instance::InstanceRecord;
using instance::Instances;
using nlohmann::json;

constexpr size_t kMaxExecOutput = 1 << 20;  // stdout, and stderr, of an exec

http::Response answer(int status, const json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return r;
}

// A host name TENANT_ID-NAME split: the tenant's id and the name it gave.
std::pair<std::string, std::string> split_host_name(const std::string& host) {
  if (host.size() <= kTenantIdChars + 1 || host[kTenantIdChars] != '-') return {"", host};
  return {host.substr(0, kTenantIdChars), host.substr(kTenantIdChars + 1)};
}

void replace_all(std::string* s, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (size_t p = s->find(what); p != std::string::npos; p = s->find(what, p + with.size()))
    s->replace(p, what.size(), with);
}

std::optional<json> parse_object(const std::string& body, http::Response* refused) {
  if (body.empty()) return json::object();
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *refused = http::error(400, "the body is not a JSON object");
    return std::nullopt;
  }
  return j;
}

std::optional<http::Response> only_known(const json& j, std::initializer_list<const char*> keys) {
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (std::none_of(keys.begin(), keys.end(), [&](const char* x) { return k == x; }))
      return http::error(400, "unknown field", k);
  }
  return std::nullopt;
}

}  // namespace

std::string Api::instance_host_name(const Call& c) {
  const std::string& name = c.params.at("name");
  if (c.caller.tenant) return valid_short_name(name) ? c.caller.tenant->id + "-" + name : "";
  auto [tenant, given] = split_host_name(name);
  return !tenant.empty() && jobs::is_tenant_id_form(tenant) && instance::valid_instance_name(name)
             ? name
             : "";
}

Result<std::string> Api::run_instance_cli(const Call& c, std::vector<std::string> args,
                                          http::Response* refused, uint64_t timeout_ms) {
  args.insert(args.begin(),
              {options_.cordon_binary, "instance", "--instances", options_.instances_root});
  SubprocessLimits lim;
  lim.timeout_ms = timeout_ms;
  lim.max_stdout = 1 << 20;
  lim.max_stderr = 64 << 10;
  auto run = run_subprocess(options_.scratch_dir, args, lim);
  if (!run.ok()) {
    *refused = http::error(500, "cordon instance: " + run.error().to_string());
    return run.error();
  }
  if (run->status == 0) return std::move(run->out);
  // Its error lines, without the host's paths for a tenant.
  std::string why = run->err;
  while (!why.empty() && why.back() == '\n') why.pop_back();
  if (auto nl = why.rfind('\n'); nl != std::string::npos) why = why.substr(nl + 1);
  if (c.caller.tenant) {
    replace_all(&why, options_.instances_root + "/", "");
    replace_all(&why, options_.instances_root, "<instances>");
    replace_all(&why, service_.config().runner.image_store, "<store>");
    replace_all(&why, c.caller.tenant->id + "-", "");
  }
  int status = 500;
  switch (run->status) {
    case 64:  // usage: a value the CLI refused
      status = 400;
      break;
    case 66:  // no such instance or image
      status = 404;
      break;
    case 73:  // the name is taken
    case 75:  // running (stop it first), or not running
      status = 409;
      break;
    default:
      if (run->timed_out) why = "it did not finish in time";
      break;
  }
  *refused = http::error(status, why.empty() ? "cordon instance failed" : why);
  return Error{EIO, "cordon instance", args.size() > 4 ? args[4] : "", why};
}

namespace {

json instance_json(const Instances& in, const InstanceRecord& r, const std::string& tenant_name,
                   bool for_operator) {
  auto pid = in.running(r.name);
  json env = json::object();
  for (const auto& [k, v] : r.env) env[k] = v;
  json j = {{"name", split_host_name(r.name).second},
            {"tenant", tenant_name},
            {"state", pid ? "running" : "stopped"},
            {"image", r.image_ref},
            {"image_id", r.image_id},
            {"disk", r.disk_bytes},
            {"memory", r.limits.memory_bytes},
            {"cpus", static_cast<double>(r.limits.cpu_millis) / 1000},
            {"pids", r.limits.pids},
            {"command", r.command},
            {"env", env},
            {"boot", r.boot},
            {"autostart", r.want_running},
            {"created", r.created}};
  if (for_operator) {
    j["host_name"] = r.name;
    j["slot_base"] = r.slot_base;
    j["supervisor_pid"] = pid ? json(*pid) : json(nullptr);
  }
  return j;
}

}  // namespace

bool Api::tenant_has_instances(const std::string& tenant_id) {
  if (options_.instances_root.empty()) return false;
  auto in = Instances::open(options_.instances_root, /*create=*/true);
  auto all = in.ok() ? in->list() : Result<std::vector<InstanceRecord>>(in.error());
  if (!all.ok()) return true;  // cannot tell: keep the tenant (fails closed)
  return std::any_of(all->begin(), all->end(), [&](const InstanceRecord& r) {
    return split_host_name(r.name).first == tenant_id;
  });
}

bool Api::instance_exists(const std::string& host_name) {
  auto in = Instances::open(options_.instances_root, /*create=*/true);
  return in.ok() && in->load(host_name).ok();
}

http::Response Api::instance_answer(const Call& c, const std::string& host_name, int status) {
  auto in = Instances::open(options_.instances_root, /*create=*/true);
  if (!in.ok()) return http::error(500, "instances: " + in.error().to_string());
  auto rec = in->load(host_name);
  if (!rec.ok()) return http::error(404, "no such instance");
  std::string tenant = tenant_name(split_host_name(host_name).first);
  return answer(status, instance_json(*in, *rec, tenant, c.caller.is_operator));
}

http::Response Api::create_instance(const Call& c) {
  if (options_.instances_root.empty()) return http::error(503, "instances are not enabled");
  RequestError bad;
  auto req = parse_instance_create(c.req.body, c.caller.tenant->quota.job_pids, &bad);
  if (!req) return http::error(bad.status, bad.message, bad.field);
  const std::string& name = req->name;
  std::vector<std::string> args = {
      "create",  c.caller.tenant->id + "-" + name,     "--image", req->image,
      "--store", service_.config().runner.image_store, "--json"};
  args.insert(args.end(), req->options.begin(), req->options.end());
  if (req->has_command) {
    args.push_back("--");
    args.insert(args.end(), req->command.begin(), req->command.end());
  }
  const uint64_t disk = req->disk, memory = req->memory, cpus = req->cpu_millis;

  // The check and the creation under one lock: two creations at once cannot both pass.
  std::lock_guard lock(instances_mu_);
  // A tenant deleted meanwhile creates nothing (its deletion checks under this lock).
  if (!service_.tenants().find(c.caller.tenant->id)) return http::error(404, "no such tenant");
  auto in = Instances::open(options_.instances_root, /*create=*/true);
  if (!in.ok()) return http::error(500, "instances: " + in.error().to_string());
  auto all = in->list();
  if (!all.ok()) return http::error(500, "instances: " + all.error().to_string());
  const jobs::Quota& q = c.caller.tenant->quota;
  uint64_t count = 0, disks = 0, memories = 0, cpu_sum = 0;
  for (const auto& r : *all) {
    if (split_host_name(r.name).first != c.caller.tenant->id) continue;
    ++count;
    disks += r.disk_bytes;
    memories += r.limits.memory_bytes;
    cpu_sum += r.limits.cpu_millis;
  }
  auto over = [](const std::string& what, const std::string& quota, const std::string& have,
                 const std::string& most) {
    return http::error(422,
                       "over the tenant's " + quota + ": its instances hold " + have +
                           ", this one would make " + what + " of at most " + most,
                       quota == "max_instances" ? "name"
                       : quota == "instances_disk"
                           ? "disk"
                           : (quota == "instances_memory" ? "memory" : "cpus"));
  };
  if (count + 1 > q.max_instances)
    return over(std::to_string(count + 1), "max_instances", std::to_string(count),
                std::to_string(q.max_instances));
  if (disks + disk > q.instances_disk)
    return over(format_size(disks + disk), "instances_disk", format_size(disks),
                format_size(q.instances_disk));
  if (memories + memory > q.instances_memory)
    return over(format_size(memories + memory), "instances_memory", format_size(memories),
                format_size(q.instances_memory));
  if (cpu_sum + cpus > q.instances_cpu_millis)
    return over(format_milli(cpu_sum + cpus), "instances_cpus", format_milli(cpu_sum),
                format_milli(q.instances_cpu_millis));
  http::Response refused;
  auto made = run_instance_cli(c, args, &refused);
  if (!made.ok()) {
    // No such image in the store: a value of the request that cannot be used.
    if (refused.status == 404) return http::error(422, "no such image in the store", "image");
    if (refused.status == 409) return http::error(409, "an instance of that name exists", "name");
    return refused;
  }
  http::Response r = instance_answer(c, c.caller.tenant->id + "-" + name, 201);
  r.headers.emplace_back("Location", "/v1/instances/" + name);
  return r;
}

http::Response Api::list_instances(const Call& c) {
  if (options_.instances_root.empty()) return answer(200, {{"instances", json::array()}});
  auto in = Instances::open(options_.instances_root, /*create=*/true);
  if (!in.ok()) return http::error(500, "instances: " + in.error().to_string());
  auto all = in->list();
  if (!all.ok()) return http::error(500, "instances: " + all.error().to_string());
  std::string only;  // a tenant's id: its own only
  if (c.caller.tenant) {
    only = c.caller.tenant->id;
  } else if (std::string t = c.req.query_param("tenant"); !t.empty()) {
    auto tenant = find_tenant(t);
    if (!tenant) return http::error(404, "no such tenant", "tenant");
    only = tenant->id;
  }
  std::map<std::string, std::string> names;
  json out = json::array();
  for (const auto& r : *all) {
    std::string tenant = split_host_name(r.name).first;
    if (!only.empty() && tenant != only) continue;
    auto& n = names[tenant];
    if (n.empty()) n = tenant_name(tenant);
    out.push_back(instance_json(*in, r, n, c.caller.is_operator));
  }
  return answer(200, {{"instances", out}});
}

http::Response Api::get_instance(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty()) return http::error(404, "no such instance");
  return instance_answer(c, host, 200);
}

http::Response Api::instance_lifecycle(const Call& c, const char* verb) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty()) return http::error(404, "no such instance");
  http::Response refused;
  if (!run_instance_cli(c, {verb, host}, &refused).ok()) return refused;
  return instance_answer(c, host, 200);
}

http::Response Api::start_instance(const Call& c) {
  return instance_lifecycle(c, "start");
}
http::Response Api::stop_instance(const Call& c) {
  return instance_lifecycle(c, "stop");
}
http::Response Api::restart_instance(const Call& c) {
  return instance_lifecycle(c, "restart");
}

http::Response Api::delete_instance(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty()) return http::error(404, "no such instance");
  std::lock_guard lock(instances_mu_);
  http::Response refused;
  if (!run_instance_cli(c, {"rm", host}, &refused).ok()) {
    if (refused.status == 409)
      return http::error(409, "it is running: stop it first (POST .../stop)");
    return refused;
  }
  return answer(200, {{"deleted", c.params.at("name")}});
}

// --- snapshots (of a stopped instance) ---

http::Response Api::list_snapshots(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty()) return http::error(404, "no such instance");
  http::Response refused;
  auto out = run_instance_cli(c, {"snapshot", "ls", host, "--json"}, &refused);
  if (!out.ok()) return refused;
  json l = json::parse(*out, nullptr, false);
  if (!l.is_array()) return http::error(500, "snapshot ls: not a JSON array");
  return answer(200, {{"snapshots", l}});
}

http::Response Api::create_snapshot(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty() || !instance_exists(host))
    return http::error(404, "no such instance");  // before the body: 404 whatever it holds
  http::Response no;
  auto body = parse_object(c.req.body, &no);
  if (!body) return no;
  if (auto e = only_known(*body, {"name"})) return *e;
  if (!body->contains("name") || !(*body)["name"].is_string() ||
      !instance::valid_snapshot_name((*body)["name"].get<std::string>()))
    return http::error(400, "[A-Za-z0-9][A-Za-z0-9_.-]{0,62} is required", "name");
  std::string snap = (*body)["name"].get<std::string>();
  http::Response refused;
  if (!run_instance_cli(c, {"snapshot", "create", host, snap}, &refused).ok()) return refused;
  return answer(201, {{"snapshot", snap}, {"instance", c.params.at("name")}});
}

http::Response Api::restore_snapshot(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty()) return http::error(404, "no such instance");
  std::string snap = c.params.at("snapshot");
  if (!instance::valid_snapshot_name(snap)) return http::error(404, "no such snapshot");
  http::Response refused;
  if (!run_instance_cli(c, {"snapshot", "restore", host, snap}, &refused).ok()) return refused;
  return answer(200, {{"restored", snap}, {"instance", c.params.at("name")}});
}

http::Response Api::delete_snapshot(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty()) return http::error(404, "no such instance");
  std::string snap = c.params.at("snapshot");
  if (!instance::valid_snapshot_name(snap)) return http::error(404, "no such snapshot");
  http::Response refused;
  if (!run_instance_cli(c, {"snapshot", "rm", host, snap}, &refused).ok()) return refused;
  return answer(200, {{"deleted", snap}, {"instance", c.params.at("name")}});
}

// --- exec: a command in a running instance, its status and output answered ---

http::Response Api::exec_instance(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty() || !instance_exists(host))
    return http::error(404, "no such instance");  // before the body: 404 whatever it holds
  RequestError bad;
  auto req = parse_instance_exec(c.req.body, &bad);
  if (!req) return http::error(bad.status, bad.message, bad.field);
  std::vector<std::string> args = {"exec", host};
  args.insert(args.end(), req->options.begin(), req->options.end());
  args.push_back("--");
  args.insert(args.end(), req->command.begin(), req->command.end());
  SubprocessLimits lim;
  lim.timeout_ms = req->timeout_ms;
  lim.stdin_data = std::move(req->stdin_data);
  auto in = Instances::open(options_.instances_root, /*create=*/true);
  if (!in.ok()) return http::error(500, "instances: " + in.error().to_string());
  if (!in->load(host).ok()) return http::error(404, "no such instance");
  if (!in->running(host)) return http::error(409, "it is not running (POST .../start)");
  args.insert(args.begin(),
              {options_.cordon_binary, "instance", "--instances", options_.instances_root});
  lim.max_stdout = kMaxExecOutput;
  lim.max_stderr = kMaxExecOutput;
  auto run = run_subprocess(options_.scratch_dir, args, lim);
  if (!run.ok()) return http::error(500, "exec: " + run.error().to_string());
  return answer(200, {{"exit_status", run->timed_out ? json(nullptr) : json(run->status)},
                      {"timed_out", run->timed_out},
                      {"stdout", run->out},
                      {"stderr", run->err},
                      {"stdout_truncated", run->stdout_truncated},
                      {"stderr_truncated", run->stderr_truncated}});
}

// --- files: through `cordon instance exec` into the running instance (docs/instances.md,
// "Files"): read with cat and written with a shell's redirection by a process of the
// instance, in its mount namespace, as its user. A symlink the guest planted resolves in
// the guest's own tree (never the host's), and what is written is the instance's (its
// slot's IDs) and counts on its disk. ---

namespace {

// The path in the instance that {path*} names: "/" and a relative path without "..".
std::optional<std::string> instance_path(const std::string& p) {
  if (!jobs::valid_relative_path(p)) return std::nullopt;
  return "/" + p;
}

}  // namespace

http::Response Api::get_instance_file(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty()) return http::error(404, "no such instance");
  auto path = instance_path(c.params.at("path"));
  if (!path) return http::error(400, "a path without '.', '..' or empty parts", "path");
  std::string user = c.req.query_param("user");
  if (!user.empty() && (user[0] == '-' || !valid_arg(user)))
    return http::error(400, "U[:G] (names or IDs of the instance)", "user");
  auto in = Instances::open(options_.instances_root, /*create=*/true);
  if (!in.ok()) return http::error(500, "instances: " + in.error().to_string());
  if (!in->load(host).ok()) return http::error(404, "no such instance");
  if (!in->running(host)) return http::error(409, "it is not running (POST .../start)");
  std::vector<std::string> args = {options_.cordon_binary,  "instance", "--instances",
                                   options_.instances_root, "exec",     host};
  if (!user.empty()) args.insert(args.end(), {"--user", user});
  args.insert(args.end(), {"--", "cat", "--", *path});
  SubprocessLimits lim;
  lim.timeout_ms = 300000;
  lim.max_stdout = options_.max_upload;
  lim.max_stderr = 4096;
  auto run = run_subprocess(options_.scratch_dir, args, lim);
  if (!run.ok()) return http::error(500, "read: " + run.error().to_string());
  if (run->stdout_truncated)
    return http::error(413, "the file is larger than " + format_size(options_.max_upload));
  if (run->timed_out) return http::error(504, "the read did not end in time");
  if (run->status != 0) {
    std::string why = run->err;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return http::error(404, "cannot be read: " + (why.empty() ? "cat failed" : why));
  }
  http::Response r;
  r.content_type = "application/octet-stream";
  r.body = std::move(run->out);
  return r;
}

http::Response Api::put_instance_file(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty()) return http::error(404, "no such instance");
  auto path = instance_path(c.params.at("path"));
  if (!path) return http::error(400, "a path without '.', '..' or empty parts", "path");
  std::string user = c.req.query_param("user");
  if (!user.empty() && (user[0] == '-' || !valid_arg(user)))
    return http::error(400, "U[:G] (names or IDs of the instance)", "user");
  auto in = Instances::open(options_.instances_root, /*create=*/true);
  if (!in.ok()) return http::error(500, "instances: " + in.error().to_string());
  if (!in->load(host).ok()) return http::error(404, "no such instance");
  if (!in->running(host)) return http::error(409, "it is not running (POST .../start)");
  std::vector<std::string> args = {options_.cordon_binary,  "instance", "--instances",
                                   options_.instances_root, "exec",     host};
  if (!user.empty()) args.insert(args.end(), {"--user", user});
  // The shell's redirection creates or truncates it; the path is "$1", never shell text.
  args.insert(args.end(), {"--", "/bin/sh", "-c", "cat > \"$1\"", "sh", *path});
  SubprocessLimits lim;
  lim.timeout_ms = 300000;
  lim.max_stdout = 4096;
  lim.max_stderr = 4096;
  lim.stdin_data = c.req.body;
  auto run = run_subprocess(options_.scratch_dir, args, lim);
  if (!run.ok()) return http::error(500, "write: " + run.error().to_string());
  if (run->timed_out) return http::error(504, "the write did not end in time");
  if (run->status != 0) {
    std::string why = run->err;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return http::error(422, "cannot be written: " + (why.empty() ? "failed" : why), "path");
  }
  return answer(200, {{"path", *path}, {"bytes", c.req.body.size()}});
}

void Api::autostart_instances() {
  if (options_.instances_root.empty()) return;
  auto in = Instances::open(options_.instances_root, /*create=*/true);
  if (!in.ok()) {
    log(LogLevel::kError, "instances: " + in.error().to_string());
    return;
  }
  SubprocessLimits lim;
  lim.timeout_ms = 30 * 60000;
  auto run = run_subprocess(
      options_.scratch_dir,
      {options_.cordon_binary, "instance", "--instances", options_.instances_root, "autostart"},
      lim);
  if (!run.ok()) {
    log(LogLevel::kError, "instances autostart: " + run.error().to_string());
  } else if (run->status != 0) {
    log(LogLevel::kError,
        "instances autostart: exit status " + std::to_string(run->status) + ": " + run->err);
  }
}

}  // namespace cordon::api
