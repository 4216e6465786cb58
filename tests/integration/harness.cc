#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace cordon::testing {

std::string cordon_binary() {
  // CORDON_BINARY in the environment: run the suite against another build (an older one,
  // to see a new test fail there).
  const char* other = std::getenv("CORDON_BINARY");
  return other != nullptr && *other != '\0' ? other : CORDON_BINARY;
}

namespace {

std::vector<char*> to_argv(std::vector<std::string>& args) {
  std::vector<char*> v;
  for (auto& a : args) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}

std::string drain(int fd) {
  std::string s;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

int status_of(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

RunOut run_program(const std::vector<std::string>& argv, int stdin_fd, int pass_fd, int pass_as,
                   const std::string& cwd) {
  std::vector<std::string> full = argv;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    // Out of the way of the dup2s below first: the fd to pass may be 0, 1 or 2.
    if (pass_fd >= 0) pass_fd = ::fcntl(pass_fd, F_DUPFD_CLOEXEC, 100);
    ::dup2(stdin_fd >= 0 ? stdin_fd : ::open("/dev/null", O_RDONLY), 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (pass_fd >= 0) ::dup2(pass_fd, pass_as);
    ::close_range(3, pass_as > 3 ? pass_as - 1 : 2, 0);
    if (pass_as >= 3) ::close_range(pass_as + 1, ~0U, 0);
    if (pass_fd < 0) ::close_range(3, ~0U, 0);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(251);
    auto v = to_argv(full);
    ::execv(v[0], v.data());
    ::_exit(250);
  }
  ::close(out[1]);
  ::close(err[1]);
  RunOut r;
  // Both pipes at once: a child that fills one while the other is read cannot block.
  std::thread t([&] { r.err = drain(err[0]); });
  r.out = drain(out[0]);
  t.join();
  ::close(out[0]);
  ::close(err[0]);
  int ws = 0;
  ::waitpid(pid, &ws, 0);
  r.status = status_of(ws);
  return r;
}

RunOut run_cordon(const std::vector<std::string>& args, int keep_fd) {
  std::vector<std::string> full = {cordon_binary()};
  full.insert(full.end(), args.begin(), args.end());
  RunOut r = run_program(full, -1, keep_fd, keep_fd);
  if (std::find(args.begin(), args.end(), "--json") != args.end()) {
    std::string s = r.out;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    size_t nl = s.rfind('\n');
    std::string last = nl == std::string::npos ? s : s.substr(nl + 1);
    r.result = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
  }
  return r;
}

pid_t spawn_program(const std::vector<std::string>& argv, int in, int out, int err,
                    bool new_session) {
  std::vector<std::string> full = argv;
  pid_t pid = ::fork();
  if (pid == 0) {
    if (new_session) ::setsid();
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    ::dup2(in >= 0 ? in : devnull, 0);
    ::dup2(out >= 0 ? out : devnull, 1);
    ::dup2(err >= 0 ? err : devnull, 2);
    auto v = to_argv(full);
    ::execv(v[0], v.data());
    ::_exit(250);
  }
  return pid;
}

pid_t spawn_cordon(const std::vector<std::string>& args) {
  std::vector<std::string> full = {cordon_binary()};
  full.insert(full.end(), args.begin(), args.end());
  return spawn_program(full);
}

int wait_exit(pid_t pid) {
  int ws = 0;
  if (::waitpid(pid, &ws, 0) != pid) return -1;
  return status_of(ws);
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(task_dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::istringstream in(read_file(task_dir + "/" + e->d_name + "/children"));
    pid_t c;
    while (in >> c) out.push_back(c);
  }
  ::closedir(d);
  return out;
}

std::vector<pid_t> descendants_of(pid_t pid) {
  std::vector<pid_t> out = children_of(pid);
  for (size_t i = 0; i < out.size(); ++i) {
    auto more = children_of(out[i]);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

bool wait_until(int timeout_ms, const std::function<bool()>& cond) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

bool process_exists(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z' &&
         stat[paren + 2] != 'X';
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string host_mountinfo() {
  // Only mount points and sources: mount IDs of other, unrelated mounts may come and go.
  std::istringstream in(read_file("/proc/self/mountinfo"));
  std::string line, out;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, point;
    f >> id >> parent >> devno >> root >> point;
    out += point + " " + root + "\n";
  }
  return out;
}

std::string host_mountinfo_outside_tests() {
  std::istringstream in(host_mountinfo());
  std::string line, out;
  while (std::getline(in, line))
    if (line.rfind("/tmp/cordon-test-", 0) != 0) out += line + "\n";
  return out;
}

bool have_root() {
  return ::geteuid() == 0 && ::access("/proc/self/ns/user", F_OK) == 0;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/cordon-test-XXXXXX";
  char* p = ::mkdtemp(tmpl);
  path_ = p != nullptr ? p : "";
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::optional<uint64_t> map_base(const std::string& uid_map) {
  std::istringstream in(uid_map);
  uint64_t inside, base, count;
  if (!(in >> inside >> base >> count)) return std::nullopt;
  if (inside != 0 || count != 65536) return std::nullopt;
  return base;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string debian12_tarball() {
  auto r = run_program({"/bin/bash", DEBIAN12_SCRIPT, "--path"});
  return r.status == 0 ? trimmed(r.out) : std::string();
}

std::string find_busybox() {
  for (const char* p : {"/usr/bin/busybox", "/bin/busybox"}) {
    struct stat st;
    // A dynamically linked busybox would need the host's libraries inside the image.
    if (::stat(p, &st) == 0 && read_file("/usr/share/doc/busybox-static/copyright").size() > 0)
      return p;
  }
  return {};
}

void make_image(const std::string& root, const std::string& busybox) {
  namespace fs = std::filesystem;
  for (const char* d : {"bin", "etc", "root", "tmp", "proc", "dev", "sys"})
    fs::create_directories(root + "/" + d);
  fs::copy_file(busybox, root + "/bin/busybox");
  for (const char* a : {"sh", "ls", "id", "cat", "stat", "touch", "dd", "echo", "rm"})
    fs::create_symlink("busybox", root + "/bin/" + a);
  ::chmod((root + "/tmp").c_str(), 01777);
  FILE* f = std::fopen((root + "/etc/image-file").c_str(), "w");
  std::fputs("from-image\n", f);
  std::fclose(f);
}

}  // namespace cordon::testing
