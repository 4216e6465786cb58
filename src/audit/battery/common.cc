// Helpers shared by the categories: outcomes, facts, /proc readers, and a forked child
// that reports an Outcome through a pipe.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "battery.h"

namespace audit {

Outcome stopped(std::string evidence) {
  return {Verdict::kStopped, std::move(evidence)};
}
Outcome escaped(std::string evidence) {
  return {Verdict::kEscaped, std::move(evidence)};
}
Outcome skipped(std::string evidence) {
  return {Verdict::kSkipped, std::move(evidence)};
}

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::optional<long long> to_number(const std::string& s, long long lo, long long hi) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Facts> load_facts(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": " + err_name(errno);
    return std::nullopt;
  }
  Facts f;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    size_t eq = t.find('=');
    if (eq == std::string::npos) {
      *error = path + ":" + std::to_string(n) + ": not key=value";
      return std::nullopt;
    }
    std::string key = trim(t.substr(0, eq)), value = trim(t.substr(eq + 1));
    auto pid = [&](std::optional<pid_t>* out) {
      auto v = to_number(value, 1, 4194304);
      if (!v) return false;
      *out = static_cast<pid_t>(*v);
      return true;
    };
    bool ok = true;
    if (key == "host_pid") {
      ok = pid(&f.host_pid);
    } else if (key == "victim_pid_host") {
      ok = pid(&f.victim_pid_host);
    } else if (key == "host_tcp_port") {
      auto v = to_number(value, 1, 65535);
      ok = v.has_value();
      if (ok) f.host_tcp_port = static_cast<int>(*v);
    } else if (key == "host_secret_path") {
      ok = !value.empty() && value[0] == '/';
      f.host_secret_path = value;
    } else if (key == "host_abstract_socket") {
      ok = !value.empty() && value.size() < 100;
      f.host_abstract_socket = value;
    } else if (key == "victim_name") {
      ok = !value.empty() && value.size() < 16;
      f.victim_name = value;
    } else if (key == "victim_secret") {
      ok = !value.empty();
      f.victim_secret = value;
    } else {
      fprintf(stderr, "cordon-audit-battery: %s:%d: unknown fact %s (ignored)\n", path.c_str(), n,
              key.c_str());
    }
    if (!ok) {
      *error = path + ":" + std::to_string(n) + ": bad value for " + key;
      return std::nullopt;
    }
  }
  return f;
}

std::string err_name(int err) {
  const char* n = strerrorname_np(err);
  return n != nullptr ? n : "errno " + std::to_string(err);
}

std::string sig_name(int sig) {
  const char* n = sigabbrev_np(sig);
  return n != nullptr ? n : "signal " + std::to_string(sig);
}

std::string clean(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\t' || c == '\n' || c == '\r') {
      out += ' ';
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += c;
    }
    if (out.size() >= 240) {
      out += "...";
      break;
    }
  }
  return out;
}

std::optional<std::string> read_text(const std::string& path, size_t max, int* err) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (err != nullptr) *err = errno;
    return std::nullopt;
  }
  std::string s;
  char buf[4096];
  while (s.size() < max) {
    ssize_t n = ::read(fd, buf, std::min(sizeof(buf), max - s.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (err != nullptr) *err = errno;
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return s;
}

int try_open(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

std::string status_field(const std::string& key) {
  auto s = read_text("/proc/self/status");
  if (!s) return "";
  std::istringstream in(*s);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + ":") == 0) return trim(line.substr(key.size() + 1));
  }
  return "";
}

std::vector<pid_t> visible_pids() {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    auto v = to_number(e->d_name, 1, 4194304);
    if (v) out.push_back(static_cast<pid_t>(*v));
  }
  ::closedir(d);
  return out;
}

bool in_user_namespace() {
  auto m = read_text("/proc/self/uid_map");
  if (!m) return false;
  std::istringstream in(*m);
  unsigned long long inside = 0, outside = 0, count = 0;
  if (!(in >> inside >> outside >> count)) return false;
  return !(inside == 0 && outside == 0 && count == 4294967295ULL);
}

std::string read_link(const std::string& path, int* err) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) {
    if (err != nullptr) *err = errno;
    return "";
  }
  return std::string(buf, static_cast<size_t>(n));
}

std::string death_text(int status) {
  if (status == -1) return "timeout";
  if (WIFSIGNALED(status)) return "killed:" + sig_name(WTERMSIG(status));
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

Outcome in_child(const std::function<Outcome()>& fn,
                 const std::function<Outcome(int status)>& on_death, int timeout_ms) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return skipped("pipe: " + err_name(errno));
  fflush(stdout);
  fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(p[0]);
    ::close(p[1]);
    return skipped("fork: " + err_name(e));
  }
  if (pid == 0) {
    ::close(p[0]);
    Outcome o = fn();
    std::string msg = std::string(1, "SEK"[static_cast<int>(o.verdict)]) + o.evidence;
    ssize_t w = ::write(p[1], msg.data(), msg.size());
    (void)w;
    ::_exit(0);
  }
  ::close(p[1]);
  std::string msg;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool timed_out = false;
  for (;;) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (elapsed >= timeout_ms) {
      timed_out = true;
      break;
    }
    struct pollfd pfd = {p[0], POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(timeout_ms - elapsed));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[1024];
    ssize_t n = ::read(p[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (msg.size() < 4096) msg.append(buf, static_cast<size_t>(n));
  }
  ::close(p[0]);
  // Only our own child is killed here, and only after its time is up.
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!msg.empty() && !timed_out) {
    Verdict v =
        msg[0] == 'S' ? Verdict::kStopped : (msg[0] == 'E' ? Verdict::kEscaped : Verdict::kSkipped);
    return {v, msg.substr(1)};
  }
  return on_death(timed_out ? -1 : status);
}

std::string escape_name(const std::string& dir, const std::string& id) {
  return dir + "/cordon-audit-escape-" + id + "-" + std::to_string(::getpid());
}

}  // namespace audit
