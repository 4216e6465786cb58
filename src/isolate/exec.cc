#include "isolate/exec.h"

#include <unistd.h>

#include <cerrno>

#include "sys/fs.h"

namespace cordon::isolate {

Status change_workdir(const std::string& dir) {
  if (::chdir(dir.c_str()) == 0) return {};
  if (errno != ENOENT) return sys_error("chdir", dir);
  TRY(sys::make_dirs(dir, 0755));
  if (::chdir(dir.c_str()) != 0) return sys_error("chdir", dir);
  return {};
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
    ::execve(file.c_str(), av.data(), ev.data());
    return sys_error("execve", file);
  }
  int best = ENOENT;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
    ::execve(candidate.c_str(), av.data(), ev.data());
    if (errno == EACCES || errno == ENOEXEC || errno == EPERM)
      best = errno;
    else if (errno != ENOENT && errno != ENOTDIR && best == ENOENT)
      best = errno;
    start = end + 1;
  }
  return errno_error(best, "execve", file);
}

int exec_failure_status(int err) {
  return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

}  // namespace cordon::isolate
