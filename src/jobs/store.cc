#include "jobs/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "base/log.h"
#include "jobs/job_request.h"

namespace cordon::jobs {
namespace {

using nlohmann::json;

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS tenants (
  id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, quota TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL, tenant_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, tenant_id TEXT NOT NULL,
  spec TEXT NOT NULL, state TEXT NOT NULL, created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL DEFAULT 0, ended_ms INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '', exit_status INTEGER NOT NULL DEFAULT -1,
  result TEXT NOT NULL DEFAULT '', supervisor_pid INTEGER NOT NULL DEFAULT 0,
  supervisor_start INTEGER NOT NULL DEFAULT 0, files_expired INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS jobs_by_tenant ON jobs (tenant_id, seq);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, seq);
)";

Error db_error(const std::exception& e, const std::string& step) {
  return logic_error(step, "", e.what());
}

constexpr const char* kJobColumns =
    "id, tenant_id, seq, spec, state, created_ms, started_ms, ended_ms, reason, exit_status, "
    "result, supervisor_pid, supervisor_start, files_expired";

Job job_from_row(SQLite::Statement& q) {
  Job j;
  j.id = q.getColumn(0).getString();
  j.tenant_id = q.getColumn(1).getString();
  j.seq = q.getColumn(2).getInt64();
  if (auto s = decode_spec(q.getColumn(3).getString())) j.spec = std::move(*s);
  j.state = parse_state(q.getColumn(4).getString()).value_or(JobState::kLost);
  j.created_ms = q.getColumn(5).getInt64();
  j.started_ms = q.getColumn(6).getInt64();
  j.ended_ms = q.getColumn(7).getInt64();
  j.reason = q.getColumn(8).getString();
  j.exit_status = q.getColumn(9).getInt();
  j.result_json = q.getColumn(10).getString();
  j.supervisor_pid = q.getColumn(11).getInt();
  j.supervisor_start = static_cast<uint64_t>(q.getColumn(12).getInt64());
  j.files_expired = q.getColumn(13).getInt() != 0;
  return j;
}

std::vector<Job> collect_jobs(SQLite::Statement& q) {
  std::vector<Job> out;
  while (q.executeStep()) out.push_back(job_from_row(q));
  return out;
}

Tenant tenant_from_row(SQLite::Statement& q) {
  Tenant t;
  t.id = q.getColumn(0).getString();
  t.name = q.getColumn(1).getString();
  auto parsed =
      parse_tenant_request(R"({"quota":)" + q.getColumn(2).getString() + "}", Quota{}, false);
  if (parsed.ok()) {
    t.quota = parsed.value->quota;
  } else {
    // Fail closed: a quota that cannot be read lets the tenant run nothing (and says so),
    // rather than the defaults, which may well be more than it was given.
    // Said once per tenant, not at each of its requests.
    static std::mutex said_mu;
    static std::set<std::string> said;
    std::lock_guard said_lock(said_mu);
    if (said.insert(t.id).second)
      log(LogLevel::kError, "tenant " + t.id + ": its stored quota does not read (" +
                                parsed.error.field + ": " + parsed.error.message +
                                "): it may run nothing until the operator sets it again");
    t.quota = Quota{};
    t.quota.max_running = 0;
    t.quota.max_queued = 0;
    t.quota.rate_per_minute = 0;
  }
  t.created_ms = q.getColumn(3).getInt64();
  return t;
}

}  // namespace

std::string encode_spec(const JobSpec& s) {
  json j;
  j["command"] = s.command;
  json env = json::array();
  for (const auto& [k, v] : s.env) env.push_back({k, v});
  j["env"] = env;
  json files = json::array();
  for (const auto& f : s.files) {
    files.push_back(
        {{"path", f.path},
         {"mode", f.mode},
         {"content", json::binary(std::vector<uint8_t>(f.content.begin(), f.content.end()))}});
  }
  j["files"] = files;
  j["upload"] = s.upload;
  j["rootfs"] = s.rootfs;
  j["image"] = s.image;
  j["image_id"] = s.image_id;
  j["seccomp"] = s.seccomp;
  j["memory"] = s.memory;
  j["cpu_millis"] = s.cpu_millis;
  j["pids"] = s.pids;
  j["disk"] = s.disk;
  j["timeout_ns"] = s.timeout_ns;
  j["cpu_time_ns"] = s.cpu_time_ns;
  j["output"] = s.output;
  if (s.has_stdin_content) j["stdin_bytes"] = s.stdin_bytes;
  if (s.has_stdin_content)
    j["stdin_content"] =
        json::binary(std::vector<uint8_t>(s.stdin_content.begin(), s.stdin_content.end()));
  if (!s.stdin_file.empty()) j["stdin_file"] = s.stdin_file;
  // CBOR: input files are bytes, which JSON text could only hold escaped or encoded.
  std::vector<uint8_t> cbor = json::to_cbor(j);
  return std::string(cbor.begin(), cbor.end());
}

std::optional<JobSpec> decode_spec(const std::string& text) {
  json j = json::from_cbor(text, true, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    JobSpec s;
    s.command = j.at("command").get<std::vector<std::string>>();
    for (const auto& e : j.at("env"))
      s.env.emplace_back(e.at(0).get<std::string>(), e.at(1).get<std::string>());
    for (const auto& f : j.at("files")) {
      const auto& bin = f.at("content").get_binary();
      s.files.push_back({f.at("path").get<std::string>(), std::string(bin.begin(), bin.end()),
                         f.at("mode").get<uint32_t>()});
    }
    s.upload = j.at("upload").get<std::string>();
    s.rootfs = j.at("rootfs").get<std::string>();
    // Absent from the records of versions before images: none.
    s.image = j.value("image", std::string());
    s.image_id = j.value("image_id", std::string());
    s.seccomp = j.at("seccomp").get<std::string>();
    s.memory = j.at("memory").get<uint64_t>();
    s.cpu_millis = j.at("cpu_millis").get<uint32_t>();
    s.pids = j.at("pids").get<uint32_t>();
    s.disk = j.at("disk").get<uint64_t>();
    s.timeout_ns = j.at("timeout_ns").get<uint64_t>();
    s.cpu_time_ns = j.at("cpu_time_ns").get<uint64_t>();
    s.output = j.at("output").get<uint64_t>();
    // Absent from the records of versions before stdin was taken: none.
    if (j.contains("stdin_content")) {
      const auto& bin = j.at("stdin_content").get_binary();
      s.stdin_content.assign(bin.begin(), bin.end());
      s.has_stdin_content = true;
      s.stdin_bytes = j.value("stdin_bytes", uint64_t{bin.size()});
    }
    if (j.contains("stdin_file")) s.stdin_file = j.at("stdin_file").get<std::string>();
    return s;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

Store::Store(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  try {
    auto db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX);
    db->exec("PRAGMA journal_mode=WAL");
    // NORMAL in WAL mode: a process crash loses nothing committed (only a power loss
    // could lose the last transactions), at a fraction of FULL's fsyncs.
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec("PRAGMA foreign_keys=ON");
    db->setBusyTimeout(5000);
    db->exec(kSchema);
    return std::unique_ptr<Store>(new Store(std::move(db)));
  } catch (const std::exception& e) {
    return db_error(e, "open state database " + path);
  }
}

Status Store::put_tenant(const Tenant& t) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(
        *db_,
        "INSERT INTO tenants (id, name, quota, created_ms) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, quota = excluded.quota");
    q.bind(1, t.id);
    q.bind(2, t.name);
    q.bind(3, quota_to_json(t.quota).dump());
    q.bind(4, static_cast<int64_t>(t.created_ms));
    q.exec();
    return {};
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_CONSTRAINT) return errno_error(EEXIST, "tenant", t.name);
    return db_error(e, "store tenant");
  }
}

std::optional<Tenant> Store::tenant_where(const char* column, const std::string& value) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(
        *db_,
        std::string("SELECT id, name, quota, created_ms FROM tenants WHERE ") + column + " = ?");
    q.bind(1, value);
    if (q.executeStep()) return tenant_from_row(q);
  } catch (const std::exception& e) {
    log(LogLevel::kError, db_error(e, "read tenant").to_string());
  }
  return std::nullopt;
}

std::optional<Tenant> Store::tenant(const std::string& id) {
  return tenant_where("id", id);
}

std::optional<Tenant> Store::tenant_by_name(const std::string& name) {
  return tenant_where("name", name);
}

std::vector<Tenant> Store::tenants() {
  std::lock_guard lock(mu_);
  std::vector<Tenant> out;
  try {
    SQLite::Statement q(*db_, "SELECT id, name, quota, created_ms FROM tenants ORDER BY name");
    while (q.executeStep()) out.push_back(tenant_from_row(q));
  } catch (const std::exception& e) {
    log(LogLevel::kError, db_error(e, "read tenants").to_string());
  }
  return out;
}

Status Store::delete_tenant(const std::string& id) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Transaction tx(*db_);
    for (const char* sql :
         {"DELETE FROM tokens WHERE tenant_id = ?", "DELETE FROM jobs WHERE tenant_id = ?",
          "DELETE FROM tenants WHERE id = ?"}) {
      SQLite::Statement q(*db_, sql);
      q.bind(1, id);
      q.exec();
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return db_error(e, "delete tenant");
  }
}

Status Store::add_token(const TokenInfo& info, const std::string& hash) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(*db_,
                        "INSERT INTO tokens (id, hash, tenant_id, created_ms) VALUES (?, ?, ?, ?)");
    q.bind(1, info.id);
    q.bind(2, hash);
    q.bind(3, info.tenant_id);
    q.bind(4, static_cast<int64_t>(info.created_ms));
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return db_error(e, "store token");
  }
}

std::optional<TokenInfo> Store::token_by_hash(const std::string& hash) {
  if (hash.empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(*db_, "SELECT id, tenant_id, created_ms FROM tokens WHERE hash = ?");
    q.bind(1, hash);
    if (q.executeStep())
      return TokenInfo{q.getColumn(0).getString(), q.getColumn(1).getString(),
                       q.getColumn(2).getInt64()};
  } catch (const std::exception& e) {
    log(LogLevel::kError, db_error(e, "read token").to_string());
  }
  return std::nullopt;
}

std::vector<TokenInfo> Store::tokens(const std::string& tenant_id) {
  std::lock_guard lock(mu_);
  std::vector<TokenInfo> out;
  try {
    SQLite::Statement q(
        *db_,
        "SELECT id, tenant_id, created_ms FROM tokens WHERE tenant_id = ? ORDER BY created_ms");
    q.bind(1, tenant_id);
    while (q.executeStep())
      out.push_back(
          {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64()});
  } catch (const std::exception& e) {
    log(LogLevel::kError, db_error(e, "read tokens").to_string());
  }
  return out;
}

Result<bool> Store::delete_token(const std::string& tenant_id, const std::string& token_id) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(*db_, "DELETE FROM tokens WHERE tenant_id = ? AND id = ?");
    q.bind(1, tenant_id);
    q.bind(2, token_id);
    return q.exec() > 0;
  } catch (const std::exception& e) {
    return db_error(e, "delete token");
  }
}

Status Store::insert_job(Job* job) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(
        *db_, "INSERT INTO jobs (id, tenant_id, spec, state, created_ms) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, job->id);
    q.bind(2, job->tenant_id);
    std::string spec = encode_spec(job->spec);
    q.bind(3, spec.data(), static_cast<int>(spec.size()));
    q.bind(4, state_name(job->state));
    q.bind(5, static_cast<int64_t>(job->created_ms));
    q.exec();
    job->seq = db_->getLastInsertRowid();
    return {};
  } catch (const std::exception& e) {
    return db_error(e, "store job");
  }
}

Status Store::update_job(const Job& j) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(*db_,
                        "UPDATE jobs SET state = ?, started_ms = ?, ended_ms = ?, reason = ?, "
                        "exit_status = ?, result = ?, supervisor_pid = ?, supervisor_start = ?, "
                        "files_expired = ? WHERE id = ?");
    q.bind(1, state_name(j.state));
    q.bind(2, static_cast<int64_t>(j.started_ms));
    q.bind(3, static_cast<int64_t>(j.ended_ms));
    q.bind(4, j.reason);
    q.bind(5, j.exit_status);
    q.bind(6, j.result_json);
    q.bind(7, static_cast<int>(j.supervisor_pid));
    q.bind(8, static_cast<int64_t>(j.supervisor_start));
    q.bind(9, j.files_expired ? 1 : 0);
    q.bind(10, j.id);
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return db_error(e, "update job");
  }
}

std::optional<Job> Store::job(const std::string& id) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(*db_, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?");
    q.bind(1, id);
    if (q.executeStep()) return job_from_row(q);
  } catch (const std::exception& e) {
    log(LogLevel::kError, db_error(e, "read job").to_string());
  }
  return std::nullopt;
}

Result<std::optional<Job>> Store::find_job(const std::string& id) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(*db_, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?");
    q.bind(1, id);
    if (q.executeStep()) return std::optional<Job>(job_from_row(q));
    return std::optional<Job>();
  } catch (const std::exception& e) {
    return db_error(e, "read job");
  }
}

Status Store::update_spec(const std::string& id, const JobSpec& spec) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(*db_, "UPDATE jobs SET spec = ? WHERE id = ?");
    std::string bytes = encode_spec(spec);
    q.bind(1, bytes.data(), static_cast<int>(bytes.size()));
    q.bind(2, id);
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return db_error(e, "update job");
  }
}

std::vector<Job> Store::jobs(const JobFilter& f) {
  std::lock_guard lock(mu_);
  try {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE seq > ?";
    if (!f.tenant_id.empty()) sql += " AND tenant_id = ?";
    if (f.state) sql += " AND state = ?";
    sql += " ORDER BY seq LIMIT ?";
    SQLite::Statement q(*db_, sql);
    int i = 1;
    q.bind(i++, static_cast<int64_t>(f.after_seq));
    if (!f.tenant_id.empty()) q.bind(i++, f.tenant_id);
    if (f.state) q.bind(i++, state_name(*f.state));
    q.bind(i++, static_cast<int64_t>(f.limit));
    return collect_jobs(q);
  } catch (const std::exception& e) {
    log(LogLevel::kError, db_error(e, "read jobs").to_string());
    return {};
  }
}

std::vector<Job> Store::unfinished_jobs() {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(*db_, std::string("SELECT ") + kJobColumns +
                                  " FROM jobs WHERE state IN ('queued', 'running') ORDER BY seq");
    return collect_jobs(q);
  } catch (const std::exception& e) {
    log(LogLevel::kError, db_error(e, "read jobs").to_string());
    return {};
  }
}

Status Store::delete_job(const std::string& id) {
  std::lock_guard lock(mu_);
  try {
    SQLite::Statement q(*db_, "DELETE FROM jobs WHERE id = ?");
    q.bind(1, id);
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return db_error(e, "delete job");
  }
}

std::vector<Job> Store::finished_with_files(int64_t ended_before_ms, const std::string& tenant_id) {
  std::lock_guard lock(mu_);
  try {
    std::string sql = std::string("SELECT ") + kJobColumns +
                      " FROM jobs WHERE files_expired = 0 AND ended_ms > 0 AND ended_ms < ? AND "
                      "state NOT IN ('queued', 'running')";
    if (!tenant_id.empty()) sql += " AND tenant_id = ?";
    sql += " ORDER BY ended_ms";
    SQLite::Statement q(*db_, sql);
    q.bind(1, static_cast<int64_t>(ended_before_ms));
    if (!tenant_id.empty()) q.bind(2, tenant_id);
    return collect_jobs(q);
  } catch (const std::exception& e) {
    log(LogLevel::kError, db_error(e, "read jobs").to_string());
    return {};
  }
}

std::vector<std::tuple<std::string, JobState, int64_t>> Store::job_counts() {
  std::lock_guard lock(mu_);
  std::vector<std::tuple<std::string, JobState, int64_t>> out;
  try {
    SQLite::Statement q(*db_,
                        "SELECT tenant_id, state, count(*) FROM jobs GROUP BY tenant_id, state");
    while (q.executeStep()) {
      auto st = parse_state(q.getColumn(1).getString());
      if (st) out.emplace_back(q.getColumn(0).getString(), *st, q.getColumn(2).getInt64());
    }
  } catch (const std::exception& e) {
    log(LogLevel::kError, db_error(e, "count jobs").to_string());
  }
  return out;
}

}  // namespace cordon::jobs
