#include "isolate/sandbox_state.h"

#include <fcntl.h>

#include "base/parse.h"
#include "sys/fs.h"
#include "sys/fs_at.h"
#include "sys/process.h"

namespace cordon::isolate {
namespace {

bool name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '_' || c == '.' || c == '-');
}

std::string file_of(const std::string& dir, const std::string& name) {
  return dir + "/" + name + ".json";
}

// The registry's lock, held for the caller's critical section.
Result<UniqueFd> lock_dir(const std::string& dir) {
  TRY(sys::make_dirs(dir, 0700));
  TRY(sys::chmod_path(dir, 0700));
  ASSIGN_OR_RETURN(UniqueFd fd,
                   sys::open_path(dir + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  TRY(sys::lock_file(fd.get(), /*exclusive=*/true, /*block=*/true));
  return fd;
}

// Replaces path with text: a temporary of this process's, renamed over it.
Status write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp" + std::to_string(sys::self_pid());
  (void)sys::unlink_path(tmp);
  TRY(sys::write_new_file(tmp, text, 0600));
  Status renamed = sys::rename_path(tmp, path);
  if (!renamed.ok()) (void)sys::unlink_path(tmp);
  return renamed;
}

// The state in path: ENOENT when there is none or it is stale (then removed). Under the lock.
Result<SandboxState> read_live(const std::string& path) {
  auto text = sys::read_small_file(path, 16u << 20);
  if (!text.ok()) return std::move(text).error();
  auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  auto state = state_from_json(j);
  // A file this cordon cannot read back is no sandbox it could enter, nor protect.
  if (!state.ok() || !state_is_live(*state)) {
    (void)sys::unlink_path(path);
    return errno_error(ENOENT, "find sandbox", path);
  }
  return state;
}

}  // namespace

Status validate_sandbox_name(const std::string& name, const std::string& what) {
  bool ok = !name.empty() && name.size() <= 63;
  for (size_t i = 0; ok && i < name.size(); ++i) ok = name_char(name[i], i == 0);
  if (ok) return {};
  return logic_error("usage", what,
                     "'" + name +
                         "': a sandbox name is 1-63 characters of a-z, 0-9, '_', '.' and '-', "
                         "starting with a letter or digit");
}

namespace {

nlohmann::json filter_to_json(const plan::SeccompProgram& p) {
  const auto& f = p.report ? p.answers : p.filter;
  nlohmann::json insns = nlohmann::json::array();
  for (const auto& i : f) insns.push_back({i.code, i.jt, i.jf, i.k});
  return {{"policy", p.policy}, {"log", p.log}, {"filter", insns}};
}

plan::SeccompProgram filter_from_json(const nlohmann::json& j) {
  plan::SeccompProgram p;
  p.policy = j.at("policy").get<std::string>();
  p.log = j.at("log").get<bool>();
  for (const auto& i : j.at("filter")) {
    p.filter.push_back(sock_filter{i.at(0).get<uint16_t>(), i.at(1).get<uint8_t>(),
                                   i.at(2).get<uint8_t>(), i.at(3).get<uint32_t>()});
  }
  return p;
}

}  // namespace

nlohmann::json state_to_json(const SandboxState& s) {
  return {{"name", s.name},
          {"seccomp", s.seccomp ? filter_to_json(*s.seccomp) : nlohmann::json()},
          {"supervisor_pid", s.supervisor_pid},
          {"supervisor_start", s.supervisor_start},
          {"pid1", s.pid1},
          {"pid1_start", s.pid1_start},
          {"uid_base", s.uid_base},
          {"gid_base", s.gid_base},
          {"cgroup_version", s.cgroup_version},
          {"cgroup_paths", s.cgroup_paths},
          {"spec", s.spec}};
}

Result<SandboxState> state_from_json(const nlohmann::json& j) {
  SandboxState s;
  try {
    s.name = j.at("name").get<std::string>();
    s.supervisor_pid = j.at("supervisor_pid").get<pid_t>();
    s.supervisor_start = j.at("supervisor_start").get<uint64_t>();
    s.pid1 = j.at("pid1").get<pid_t>();
    s.pid1_start = j.at("pid1_start").get<uint64_t>();
    s.uid_base = j.at("uid_base").get<uint64_t>();
    s.gid_base = j.at("gid_base").get<uint64_t>();
    s.cgroup_version = j.at("cgroup_version").get<int>();
    s.cgroup_paths = j.at("cgroup_paths").get<std::vector<std::string>>();
    s.spec = j.at("spec");
    if (!j.at("seccomp").is_null()) s.seccomp = filter_from_json(j.at("seccomp"));
  } catch (const nlohmann::json::exception& e) {
    return logic_error("read sandbox state", "", e.what());
  }
  if (s.supervisor_pid <= 0 || s.pid1 < 0)
    return logic_error("read sandbox state", "", "no supervisor PID");
  if (s.seccomp && s.seccomp->filter.empty())
    return logic_error("read sandbox state", "", "an empty seccomp filter");
  return s;
}

bool state_is_live(const SandboxState& s) {
  if (s.supervisor_start == 0 || sys::process_start_time(s.supervisor_pid) != s.supervisor_start)
    return false;
  return s.pid1 == 0 || (s.pid1_start != 0 && sys::process_start_time(s.pid1) == s.pid1_start);
}

Registration& Registration::operator=(Registration&& o) noexcept {
  if (this != &o) {
    remove();
    dir_ = std::move(o.dir_);
    path_ = std::move(o.path_);
    name_ = std::move(o.name_);
    o.path_.clear();
  }
  return *this;
}

Registration::~Registration() {
  remove();
}

Status Registration::publish(const SandboxState& state) {
  if (path_.empty()) return logic_error("publish sandbox state", "", "no name reserved");
  ASSIGN_OR_RETURN(UniqueFd lock, lock_dir(dir_));
  SandboxState named = state;
  named.name = name_;
  return write_atomically(path_, state_to_json(named).dump());
}

void Registration::remove() {
  if (path_.empty()) return;
  auto lock = lock_dir(dir_);
  (void)sys::unlink_path(path_);
  path_.clear();
}

Result<Registration> reserve_name(const std::string& dir, const std::string& name) {
  TRY(validate_sandbox_name(name, "--name"));
  ASSIGN_OR_RETURN(UniqueFd lock, lock_dir(dir));
  // Every stale entry goes, not only this name's: supervisors killed with SIGKILL leave
  // no file behind for long.
  ASSIGN_OR_RETURN(std::vector<std::string> entries, sys::list_dir(dir));
  for (const auto& e : entries) {
    if (e.size() > 5 && e.compare(e.size() - 5, 5, ".json") == 0 && e != name + ".json")
      (void)read_live(dir + "/" + e);
    // A temporary of a writer that died before its rename.
    size_t tmp = e.find(".json.tmp");
    if (tmp != std::string::npos) {
      auto pid = parse_uint(e.substr(tmp + 9), 1, INT32_MAX);
      if (pid.ok() && sys::process_start_time(static_cast<pid_t>(*pid)) == 0)
        (void)sys::unlink_path(dir + "/" + e);
    }
  }
  std::string path = file_of(dir, name);
  auto existing = read_live(path);
  if (existing.ok()) {
    Error e = logic_error("--name", name,
                          "a running sandbox has this name (supervisor PID " +
                              std::to_string(existing->supervisor_pid) + ")");
    e.err = EEXIST;
    return e;
  }
  if (existing.error().err != ENOENT) return std::move(existing).error();
  SandboxState s;
  s.name = name;
  s.supervisor_pid = sys::self_pid();
  s.supervisor_start = sys::process_start_time(s.supervisor_pid);
  TRY(write_atomically(path, state_to_json(s).dump()));
  Registration r;
  r.dir_ = dir;
  r.path_ = path;
  r.name_ = name;
  return r;
}

Result<SandboxState> find_sandbox(const std::string& dir, const std::string& name) {
  UniqueFd lock;
  return find_sandbox(dir, name, &lock);
}

Result<SandboxState> find_sandbox(const std::string& dir, const std::string& name,
                                  UniqueFd* lock_out) {
  std::string path = file_of(dir, name);
  // No registry at all: nothing was ever named here (and nothing is created by a lookup).
  if (!sys::path_status(dir, true).ok()) return errno_error(ENOENT, "find sandbox", path);
  ASSIGN_OR_RETURN(UniqueFd lock, lock_dir(dir));
  ASSIGN_OR_RETURN(SandboxState s, read_live(path));
  if (s.pid1 == 0) return errno_error(EAGAIN, "find sandbox", name);
  *lock_out = std::move(lock);
  return s;
}

}  // namespace cordon::isolate
