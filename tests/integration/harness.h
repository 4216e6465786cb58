// Test harness for integration tests: starts the real cordon binary and checks from the
// host what happened. Every helper here observes; none of them assumes a result.
#pragma once

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cordon::testing {

struct RunOut {
  int status = -1;  // exit status (128+N when killed by N)
  std::string out;
  std::string err;
  nlohmann::json result;  // the last stdout line parsed, when --json was given
};

// Path of the cordon binary under test.
std::string cordon_binary();

// Runs `cordon ARGS...` to completion with stdin from /dev/null. keep_fd: a caller fd to
// leave open (not close-on-exec) in cordon, to test that the sandbox does not get it.
RunOut run_cordon(const std::vector<std::string>& args, int keep_fd = -1);

// Runs argv to completion. stdin_fd (or /dev/null when -1) becomes fd 0; pass_fd, when
// not -1, stays open as fd pass_as; every other fd above 2 is closed. cwd: where it runs
// (empty: the test's own).
RunOut run_program(const std::vector<std::string>& argv, int stdin_fd = -1, int pass_fd = -1,
                   int pass_as = -1, const std::string& cwd = "");

// Starts argv without waiting, with in, out and err as its fds 0, 1 and 2 (-1: /dev/null),
// in a session of its own when new_session. The caller's other fds are left to
// close-on-exec.
pid_t spawn_program(const std::vector<std::string>& argv, int in = -1, int out = -1, int err = -1,
                    bool new_session = false);
// Starts `cordon ARGS...` without waiting; stdout and stderr go to /dev/null.
pid_t spawn_cordon(const std::vector<std::string>& args);
// Waits for a spawned process; returns its exit status or 128+signal.
int wait_exit(pid_t pid);

// The children of a process, read from /proc/PID/task/*/children.
std::vector<pid_t> children_of(pid_t pid);
// Every descendant of a process (children, their children, ...).
std::vector<pid_t> descendants_of(pid_t pid);
// Waits up to timeout_ms for a condition polled every 10 ms.
bool wait_until(int timeout_ms, const std::function<bool()>& cond);
bool process_exists(pid_t pid);  // and is not a zombie
std::string read_file(const std::string& path);
// Host's mount table (mountinfo), to check that nothing was mounted on the host.
std::string host_mountinfo();
// The same without the mounts of tests running beside this one (a daemon test mounts its
// jobs' workspaces under its own /tmp/cordon-test-* folder): what a before/after
// comparison of "nothing left behind" can rely on while the suite runs in parallel.
std::string host_mountinfo_outside_tests();

// Skips the test unless running as root with user namespaces available.
bool have_root();

// A temporary directory removed (recursively) at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A statically linked busybox on this host (busybox-static), or "".
std::string find_busybox();
// s without its trailing newlines and spaces.
std::string trimmed(std::string s);
// Where tests/images/debian12.sh keeps the Debian 12 test image for its current content
// (its --path), "" if the script fails; the file is missing when setup could not build it.
std::string debian12_tarball();
// A minimal image at root: busybox and a few applet links, /etc/image-file ("from-image"),
// owned by uid 0 on disk.
void make_image(const std::string& root, const std::string& busybox);

// The UID base of a uid_map line "0 BASE 65536", or nullopt.
std::optional<uint64_t> map_base(const std::string& uid_map);

}  // namespace cordon::testing

#define REQUIRE_ROOT()                                                \
  do {                                                                \
    if (!::cordon::testing::have_root())                              \
      GTEST_SKIP() << "needs root and user namespaces (run as root)"; \
  } while (0)
