#include "client/tenant_cli.h"

#include <cstdio>
#include <set>

#include "base/log.h"
#include "base/parse.h"
#include "client/output.h"
#include "client/subcommand.h"

namespace cordon::client {
namespace {

using nlohmann::json;

constexpr OptionSpec kJson = {"--json", false, "", "print the daemon's JSON"};

std::string tenant_usage() {
  return R"(Usage: cordon tenant COMMAND [OPTIONS]

Tenants of the cordon daemon and their tokens (the operator's).

Commands:
  create NAME [--quota KEY=VALUE]...   a new tenant (quota keys: the daemon's, e.g.
                                       max_running=4 job_memory=1G job_timeout=30m)
  ls                                   every tenant
  get NAME                             one tenant and its quota
  update NAME --quota KEY=VALUE...     change quota values (the others stay)
  rm NAME                              remove a tenant
  token issue NAME                     a new token (printed once, never again)
  token ls NAME                        its tokens' ids
  token revoke NAME TOKEN_ID           revoke one

)" + every_command_options({kJson}) +
         R"(
Exit status: 0 done, 1 refused by the daemon, 64 usage, 69 daemon unreachable.
)";
}

std::string tenant_path(const ParsedArgs& a) {
  return "/v1/tenants/" + escape(a.operands[0]);
}

int print_tenant(const Reply& r, const ParsedArgs& a) {
  if (a.has("--json")) {
    print_json(r.json);
    return kExitOk;
  }
  std::string out = "name:     " + r.json.value("name", "") + "\n" +
                    "id:       " + r.json.value("id", "") + "\n" +
                    "created:  " + short_time(r.json.value("created_at", json())) + "\nquota:\n";
  Table t({"  KEY", "VALUE"});
  const json quota = r.json.value("quota", json::object());  // items() must not outlive it
  // In the units `tenant ls` and the quota flags use: sizes as 1G, durations as 30s.
  static const std::set<std::string> kSizes = {"max_memory", "job_memory", "job_disk", "job_output",
                                               "log_bytes"};
  for (const auto& [k, v] : quota.items()) {
    std::string text = scalar_text(v);
    if (kSizes.count(k) != 0 && v.is_number_unsigned()) text = format_size(v.get<uint64_t>());
    if (k == "job_timeout" && v.is_number_unsigned())
      text = format_duration_ns(v.get<uint64_t>() * 1000000000ull);
    t.add({"  " + k, text});
  }
  write_stdout(out);
  t.print();
  return kExitOk;
}

int tenant_create(Connection& c, const ParsedArgs& a) {
  json body = {{"name", a.operands[0]}};
  if (a.has("--quota")) {
    auto q = quota_object(a.all("--quota"));
    if (!q.ok()) return usage_error(q.error());
    body["quota"] = *q;
  }
  auto r = c.call("POST", "/v1/tenants", body.dump());
  if (!r.ok() || !r->ok()) return failed(c, r);
  return print_done(r->json, a.has("--json"),
                    r->json.value("name", "") + " " + r->json.value("id", ""));
}

int tenant_ls(Connection& c, const ParsedArgs& a) {
  auto r = c.call("GET", "/v1/tenants");
  if (!r.ok() || !r->ok()) return failed(c, r);
  if (a.has("--json")) {
    print_json(r->json);
    return kExitOk;
  }
  Table t({"NAME", "ID", "CREATED", "MAX_RUNNING", "JOB_MEMORY"});
  for (const auto& tn : r->json.value("tenants", json::array())) {
    json q = tn.value("quota", json::object());
    std::string mem = q.contains("job_memory") && q["job_memory"].is_number_unsigned()
                          ? format_size(q["job_memory"].get<uint64_t>())
                          : "-";
    t.add({tn.value("name", ""), tn.value("id", ""), short_time(tn.value("created_at", json())),
           scalar_text(q.value("max_running", json())), mem});
  }
  t.print();
  return kExitOk;
}

int tenant_get(Connection& c, const ParsedArgs& a) {
  auto r = c.call("GET", tenant_path(a));
  if (!r.ok() || !r->ok()) return failed(c, r);
  return print_tenant(*r, a);
}

int tenant_update(Connection& c, const ParsedArgs& a) {
  if (!a.has("--quota")) return usage_error("tenant update: nothing to change (--quota KEY=VALUE)");
  auto q = quota_object(a.all("--quota"));
  if (!q.ok()) return usage_error(q.error());
  auto r = c.call("PATCH", tenant_path(a), json{{"quota", *q}}.dump());
  if (!r.ok() || !r->ok()) return failed(c, r);
  return print_tenant(*r, a);
}

int tenant_rm(Connection& c, const ParsedArgs& a) {
  auto r = c.call("DELETE", tenant_path(a));
  if (!r.ok() || !r->ok()) return failed(c, r);
  return print_done(r->json, a.has("--json"), a.operands[0]);
}

int token_issue(Connection& c, const ParsedArgs& a) {
  auto r = c.call("POST", tenant_path(a) + "/tokens");
  if (!r.ok() || !r->ok()) return failed(c, r);
  if (a.has("--json")) {
    print_json(r->json);
  } else {
    // The token alone on stdout (`... > token-file` keeps just it); the warning on stderr.
    write_stdout(r->json.value("token", "") + "\n");
  }
  log(LogLevel::kError, "token " + r->json.value("id", "") + " of " + a.operands[0] +
                            ": it is not shown again; keep it now (revoke it by its id)");
  return kExitOk;
}

int token_ls(Connection& c, const ParsedArgs& a) {
  auto r = c.call("GET", tenant_path(a) + "/tokens");
  if (!r.ok() || !r->ok()) return failed(c, r);
  if (a.has("--json")) {
    print_json(r->json);
    return kExitOk;
  }
  Table t({"ID", "CREATED"});
  for (const auto& k : r->json.value("tokens", json::array()))
    t.add({k.value("id", ""), short_time(k.value("created_at", json()))});
  t.print();
  return kExitOk;
}

int token_revoke(Connection& c, const ParsedArgs& a) {
  auto r = c.call("DELETE", tenant_path(a) + "/tokens/" + escape(a.operands[1]));
  if (!r.ok() || !r->ok()) return failed(c, r);
  return print_done(r->json, a.has("--json"), a.operands[1]);
}

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"create",
       "cordon tenant create NAME [OPTIONS]",
       "A new tenant; quota values not given are the daemon's default_quota.\n",
       {{"--quota", true, "KEY=VALUE",
         "a quota value (repeatable). Keys: max_running max_memory\n"
         "max_cpus max_queued job_memory job_cpus job_pids job_timeout\n"
         "job_disk job_output rate_per_minute queue_when_busy log_bytes"},
        kJson},
       1,
       tenant_create},
      {"ls", "cordon tenant ls [OPTIONS]", "Every tenant.\n", {kJson}, 0, tenant_ls},
      {"get",
       "cordon tenant get NAME [OPTIONS]",
       "One tenant and its quota.\n",
       {kJson},
       1,
       tenant_get},
      {"update",
       "cordon tenant update NAME --quota KEY=VALUE... [OPTIONS]",
       "Changes the quota values given; the others stay.\n",
       {{"--quota", true, "KEY=VALUE", "a quota value to change (repeatable; keys as for create)"},
        kJson},
       1,
       tenant_update},
      {"rm", "cordon tenant rm NAME [OPTIONS]", "Removes a tenant.\n", {kJson}, 1, tenant_rm},
      {"token issue",
       "cordon tenant token issue NAME [OPTIONS]",
       "A new token of the tenant, printed once: the daemon keeps only its hash.\n",
       {kJson},
       1,
       token_issue},
      {"token ls",
       "cordon tenant token ls NAME [OPTIONS]",
       "The ids of the tenant's tokens.\n",
       {kJson},
       1,
       token_ls},
      {"token revoke",
       "cordon tenant token revoke NAME TOKEN_ID [OPTIONS]",
       "Revokes one token.\n",
       {kJson},
       2,
       token_revoke},
  };
  return list;
}

}  // namespace

Result<json> quota_object(const std::vector<std::string>& pairs) {
  json q = json::object();
  for (const auto& p : pairs) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == p.size())
      return logic_error("usage", "--quota " + p, "expected KEY=VALUE");
    std::string k = p.substr(0, eq), v = p.substr(eq + 1);
    if (v == "true" || v == "false") {
      q[k] = v == "true";
      continue;
    }
    // Plain digits are a number (a count, bytes or seconds to the daemon); a fraction such
    // as 0.5 (CPUs) too.
    json n = json::parse(v, nullptr, false);
    if (!n.is_discarded() && n.is_number() &&
        v.find_first_not_of("0123456789.") == std::string::npos) {
      q[k] = n;
    } else {
      q[k] = v;
    }
  }
  return q;
}

int run_tenant_cli(const std::vector<std::string>& args, const Getenv& getenv) {
  size_t i = command_word(args, 0);
  if (i >= args.size() || args[i] == "-h" || args[i] == "--help" || args[i] == "help") {
    std::fputs(tenant_usage().c_str(), i >= args.size() ? stderr : stdout);
    return i >= args.size() ? kExitUsage : kExitOk;
  }
  std::string name = args[i];
  std::vector<std::string> rest = args;
  if (name == "token") {
    size_t j = command_word(args, i + 1);
    if (j >= args.size() || args[j] == "-h" || args[j] == "--help") {
      std::fputs(tenant_usage().c_str(), j >= args.size() ? stderr : stdout);
      return j >= args.size() ? kExitUsage : kExitOk;
    }
    name += " " + args[j];
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(j));
  }
  rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
  return run_command(commands(), "tenant", name, rest, getenv);
}

}  // namespace cordon::client
