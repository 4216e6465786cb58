// exhaust_probe: a static program run inside sandboxes that tries, as a hostile tenant
// would, to take what the kernel counts per host user or host-wide, and prints what it
// got as one line: "NAME COUNT RESULT", RESULT the errno name of the call that stopped it
// ("ok" when it stopped at its own cap). The host side of each test then checks that the
// host and other sandboxes still get theirs.
//
//   exhaust_probe inotify [--hold]     inotify_init1 until it fails
//   exhaust_probe mqueue [--hold]      mq_open of 10 x 8 KiB queues until it fails
//   exhaust_probe sigqueue [--hold]    queued real-time signals to itself until it fails
//   exhaust_probe aio [--hold]         io_setup(4096) until it fails (at most 64)
//   exhaust_probe tcp PAIRS [--hold]   PAIRS loopback TCP connections, each written into
//                                      until it would block, never read: COUNT is the
//                                      bytes the kernel holds for them
//   exhaust_probe one KIND             one inotify instance, message queue or queued
//                                      signal (KIND: inotify, mqueue, sigqueue)
//   exhaust_probe tty-stop-flood       stops the output of the terminal on stdin
//                                      (tcflow TCOOFF), then writes to stdout forever
//   exhaust_probe tiocsetd             sets the line discipline of a new pty (N_TTY)
//
// --hold: after the line, wait (holding everything) until killed.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

std::string err_name(int err) {
  const char* n = strerrorname_np(err);
  return n != nullptr ? n : "errno" + std::to_string(err);
}

int report(const char* name, uint64_t count, const std::string& result, bool hold) {
  printf("%s %llu %s\n", name, static_cast<unsigned long long>(count), result.c_str());
  fflush(stdout);
  if (hold) {
    for (;;) pause();
  }
  return 0;
}

// Each call takes one more unit; returns false (errno set) when the kernel refuses.
bool take_inotify() {
  return inotify_init1(IN_CLOEXEC) >= 0;
}

bool take_mqueue() {
  static int n = 0;
  struct mq_attr attr = {};
  attr.mq_maxmsg = 10;
  attr.mq_msgsize = 8192;
  std::string name = "/cordon-probe-" + std::to_string(getpid()) + "-" + std::to_string(n++);
  mqd_t q = mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
  return q != static_cast<mqd_t>(-1);
}

bool take_sigqueue() {
  static bool blocked = false;
  if (!blocked) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    blocked = true;
  }
  siginfo_t info;
  memset(&info, 0, sizeof(info));
  info.si_signo = SIGRTMIN;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  return syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, &info) == 0;
}

bool take_aio() {
  aio_context_t ctx = 0;
  return syscall(SYS_io_setup, 4096, &ctx) == 0;
}

// Takes until refused or max; the line says how many and why it stopped.
int exhaust(const char* name, bool (*take)(), uint64_t max, bool hold) {
  uint64_t n = 0;
  while (n < max) {
    errno = 0;
    if (!take()) return report(name, n, err_name(errno), hold);
    ++n;
  }
  return report(name, n, "ok", hold);
}

int tcp(int pairs, bool hold) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, pairs) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return report("tcp", 0, "setup:" + err_name(errno), hold);
  std::vector<char> chunk(65536, 'x');
  uint64_t total = 0;
  for (int i = 0; i < pairs; ++i) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      return report("tcp", total, "connect:" + err_name(errno), hold);
    if (accept(listener, nullptr, nullptr) < 0)  // kept open, never read
      return report("tcp", total, "accept:" + err_name(errno), hold);
    fcntl(c, F_SETFL, O_NONBLOCK);
    for (;;) {
      ssize_t w = send(c, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (w > 0) {
        total += static_cast<uint64_t>(w);
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      // The peer's receive queue and our send queue are full. The receiver may still be
      // taking in what is in flight: wait a moment and try once more before the next.
      usleep(20000);
      w = send(c, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (w > 0) {
        total += static_cast<uint64_t>(w);
        continue;
      }
      break;
    }
  }
  return report("tcp", total, "ok", hold);
}

int tty_stop_flood() {
  if (tcflow(STDIN_FILENO, TCOOFF) != 0) return report("tty-stop", 0, err_name(errno), false);
  fprintf(stderr, "output stopped; flooding\n");
  std::string chunk(4096, 'y');
  for (;;) {
    if (write(STDOUT_FILENO, chunk.data(), chunk.size()) < 0 && errno != EINTR) return 1;
  }
}

int tiocsetd() {
  int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return report("tiocsetd", 0, "open:" + err_name(errno), false);
  int ldisc = N_TTY;
  if (ioctl(fd, TIOCSETD, &ldisc) != 0) return report("tiocsetd", 0, err_name(errno), false);
  return report("tiocsetd", 1, "ok", false);
}

int usage() {
  fprintf(stderr,
          "usage: exhaust_probe inotify|mqueue|sigqueue|aio [--hold]\n"
          "       exhaust_probe tcp PAIRS [--hold]\n"
          "       exhaust_probe one inotify|mqueue|sigqueue\n"
          "       exhaust_probe tty-stop-flood | tiocsetd\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string what = argv[1];
  bool hold = std::string(argv[argc - 1]) == "--hold";
  if (what == "inotify") return exhaust("inotify", take_inotify, 1u << 20, hold);
  if (what == "mqueue") return exhaust("mqueue", take_mqueue, 1u << 20, hold);
  if (what == "sigqueue") return exhaust("sigqueue", take_sigqueue, 1u << 24, hold);
  if (what == "aio") return exhaust("aio", take_aio, 64, hold);
  if (what == "tcp" && argc >= 3) return tcp(atoi(argv[2]), hold);
  if (what == "one" && argc >= 3) {
    std::string kind = argv[2];
    bool (*take)() = kind == "inotify"    ? take_inotify
                     : kind == "mqueue"   ? take_mqueue
                     : kind == "sigqueue" ? take_sigqueue
                                          : nullptr;
    if (take == nullptr) return usage();
    return exhaust(kind.c_str(), take, 1, false);
  }
  if (what == "tty-stop-flood") return tty_stop_flood();
  if (what == "tiocsetd") return tiocsetd();
  return usage();
}
