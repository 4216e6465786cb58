// cordon-audit-battery: a static program that runs inside a sandbox and tries to break
// out. One line per attempt, tab-separated:
//
//   category  id  verdict  evidence
//
// verdict: stopped (the isolation held), escaped (the attempt succeeded: a failure of the
// sandbox) or skipped (a host fact is missing, or the verdict is decided by the host).
// Then one summary line: "summary  stopped=N  escaped=N  skipped=N". Exit status 0 when
// nothing escaped, 1 otherwise, 2 on a usage error.
//
//   cordon-audit-battery [--category NAME[,NAME]]... [--host-facts FILE] [--list]
//
// Without --category every category runs except the opt-in ones (resources*), which need
// the sandbox's limits and run only when named. See docs/audit.md for each attempt.
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "battery.h"

namespace {

using audit::Category;
using audit::Verdict;

std::vector<const Category*> all_categories() {
  std::vector<const Category*> v = {
      &audit::host_fs_category(),  &audit::processes_category(), &audit::privilege_category(),
      &audit::kernel_category(),   &audit::devices_category(),   &audit::proc_sys_category(),
      &audit::terminal_category(), &audit::fds_cwd_category(),   &audit::proc_exe_category(),
      &audit::network_category(),
  };
  for (const Category* c : audit::resources_categories()) v.push_back(c);
  return v;
}

// The fds open when main() starts: cordon must hand the command only 0, 1 and 2.
std::vector<audit::InheritedFd> inherited_fds() {
  std::vector<audit::InheritedFd> out;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return out;
  int own = ::dirfd(d);
  std::vector<int> fds;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    int fd = atoi(e->d_name);
    if (fd >= 3 && fd != own) fds.push_back(fd);
  }
  ::closedir(d);
  for (int fd : fds) out.push_back({fd, audit::read_link("/proc/self/fd/" + std::to_string(fd))});
  return out;
}

void usage(FILE* f) {
  fprintf(f,
          "usage: cordon-audit-battery [--category NAME[,NAME]]... [--host-facts FILE] "
          "[--list]\n"
          "  --category NAME  run only these categories (repeatable, or comma-separated);\n"
          "                   default: every category but the opt-in resources*\n"
          "  --host-facts F   key=value lines: host_pid, host_secret_path, host_tcp_port,\n"
          "                   host_abstract_socket, victim_pid_host, victim_name,\n"
          "                   victim_secret\n"
          "  --list           list the categories and attempts, run nothing\n"
          "Output: category<TAB>id<TAB>stopped|escaped|skipped<TAB>evidence, then a summary\n"
          "line. Exit status 0 if nothing escaped, 1 otherwise, 2 on a usage error.\n");
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything opens a file of its own.
  audit::Context ctx;
  ctx.inherited = inherited_fds();

  std::vector<std::string> wanted;
  std::string facts_path;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "cordon-audit-battery: %s needs a value\n", a.c_str());
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--category") {
      std::string v = value();
      size_t start = 0;
      while (start <= v.size()) {
        size_t comma = v.find(',', start);
        if (comma == std::string::npos) comma = v.size();
        if (comma > start) wanted.push_back(v.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (a == "--host-facts") {
      facts_path = value();
    } else if (a == "--list") {
      list = true;
    } else if (a == "--daemon-sleep") {
      // Hidden: the process that resources-daemon leaves behind (re-executed).
      return audit::daemon_main(atoi(value().c_str()));
    } else if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "cordon-audit-battery: unknown argument %s\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }

  std::vector<const Category*> cats = all_categories();
  for (const std::string& w : wanted) {
    bool known = false;
    for (const Category* c : cats) known = known || w == c->name;
    if (!known) {
      fprintf(stderr, "cordon-audit-battery: unknown category %s (see --list)\n", w.c_str());
      return 2;
    }
  }
  auto selected = [&](const Category* c) {
    if (wanted.empty()) return !c->opt_in;
    for (const std::string& w : wanted)
      if (w == c->name) return true;
    return false;
  };

  if (list) {
    for (const Category* c : cats) {
      for (const audit::Attempt& a : c->attempts)
        printf("%s\t%s\t%s\t%s\n", c->name, a.id, c->opt_in ? "opt-in" : "default", a.what);
    }
    return 0;
  }

  if (!facts_path.empty()) {
    std::string error;
    auto f = audit::load_facts(facts_path, &error);
    if (!f) {
      fprintf(stderr, "cordon-audit-battery: host facts %s\n", error.c_str());
      return 2;
    }
    ctx.facts = *f;
  }
  ctx.self_exe = audit::read_link("/proc/self/exe");

  // Line by line even into a pipe, so that a sandbox killed at a limit loses no verdict.
  setvbuf(stdout, nullptr, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  int counts[3] = {0, 0, 0};
  for (const Category* c : cats) {
    if (!selected(c)) continue;
    for (const audit::Attempt& a : c->attempts) {
      audit::Outcome o = a.run(ctx);
      static const char* const kNames[] = {"stopped", "escaped", "skipped"};
      int v = static_cast<int>(o.verdict);
      ++counts[v];
      printf("%s\t%s\t%s\t%s\n", c->name, a.id, kNames[v], audit::clean(o.evidence).c_str());
      if (a.after != nullptr && o.verdict == Verdict::kSkipped && audit::in_user_namespace()) {
        fflush(stdout);
        a.after(ctx);
      }
    }
  }
  printf("summary\tstopped=%d\tescaped=%d\tskipped=%d\n", counts[0], counts[1], counts[2]);
  fflush(stdout);
  return counts[static_cast<int>(Verdict::kEscaped)] == 0 ? 0 : 1;
}
