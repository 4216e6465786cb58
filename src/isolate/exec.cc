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

Error exec_command(const std::vector<std::string>& argv, const std::vector<std::string>& envp) {
  std::vector<char*> av;
  av.reserve(argv.size() + 1);
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  std::vector<char*> ev;
  ev.reserve(envp.size() + 1);
  std::string path = "/usr/bin:/bin";
  for (const auto& e : envp) {
    ev.push_back(const_cast<char*>(e.c_str()));
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  ev.push_back(nullptr);

  const std::string& file = argv[0];
  if (file.find('/') != std::string::npos) {
    return errno_error(sys::exec(file.c_str(), av.data(), ev.data()), "execve", file);
  }
  int best = ENOENT;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
    int err = sys::exec(candidate.c_str(), av.data(), ev.data());
    if (err == EACCES || err == ENOEXEC || err == EPERM)
      best = err;
    else if (err != ENOENT && err != ENOTDIR && best == ENOENT)
      best = err;
    start = end + 1;
  }
  return errno_error(best, "execve", file);
}

int exec_failure_status(int err) {
  return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

}  // namespace cordon::isolate
