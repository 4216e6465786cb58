#include "isolate/exec.h"

#include <cerrno>

#include "sys/fs.h"
#include "sys/process.h"

namespace cordon::isolate {

Status change_workdir(const std::string& dir) {
  Status first = sys::change_dir(dir);
  if (first.ok() || first.error().err != ENOENT) return first;
  TRY(sys::make_dirs(dir, 0755));
  return sys::change_dir(dir);
}

ExecCall prepare_exec(const std::vector<std::string>& argv, const std::vector<std::string>& envp) {
  ExecCall c;
  c.av.reserve(argv.size() + 1);
  for (const auto& a : argv) c.av.push_back(const_cast<char*>(a.c_str()));
  c.av.push_back(nullptr);
  c.ev.reserve(envp.size() + 1);
  std::string path = "/usr/bin:/bin";
  for (const auto& e : envp) {
    c.ev.push_back(const_cast<char*>(e.c_str()));
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  c.ev.push_back(nullptr);

  const std::string& file = argv[0];
  if (file.find('/') != std::string::npos) {
    c.candidates.push_back(file);
    return c;
  }
  c.search = true;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    c.candidates.push_back((dir.empty() ? "." : dir) + "/" + file);
    start = end + 1;
  }
  return c;
}

int run_exec(const ExecCall& c) noexcept {
  if (!c.search) return sys::exec(c.candidates[0].c_str(), c.av.data(), c.ev.data());
  int best = ENOENT;
  for (const auto& candidate : c.candidates) {
    int err = sys::exec(candidate.c_str(), c.av.data(), c.ev.data());
    if (err == EACCES || err == ENOEXEC || err == EPERM)
      best = err;
    else if (err != ENOENT && err != ENOTDIR && best == ENOENT)
      best = err;
  }
  return best;
}

int exec_failure_status(int err) {
  return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

}  // namespace cordon::isolate
