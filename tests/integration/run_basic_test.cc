// cordon run end to end: output, exit statuses, the JSON result, environment and identity.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness.h"

namespace cordon::testing {
namespace {

TEST(RunBasic, PrintsHelloFromInside) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--", "echo", "hello"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello\n");
}

TEST(RunBasic, ExitCodeAndSignalPassThrough) {
  REQUIRE_ROOT();
  EXPECT_EQ(run_cordon({"run", "--", "sh", "-c", "exit 7"}).status, 7);
  RunOut sig = run_cordon({"run", "--json", "--", "sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(sig.status, 128 + 15);
  EXPECT_EQ(sig.result["reason"], "signaled");
  EXPECT_EQ(sig.result["signal"], 15);
}

TEST(RunBasic, JsonResultDescribesTheRun) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--json", "--", "cat", "/proc/self/uid_map"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(r.result.is_object()) << r.out;
  auto base = map_base(r.out);
  ASSERT_TRUE(base.has_value()) << r.out;
  EXPECT_GE(*base, 100000u);
  EXPECT_EQ(r.result["id_slot"]["uid_base"], *base);
  EXPECT_EQ(r.result["id_slot"]["count"], 65536);
  EXPECT_EQ(r.result["reason"], "exited");
  EXPECT_EQ(r.result["exit_code"], 0);
  EXPECT_GT(r.result["wall_time_ms"].get<double>(), 0.0);
  for (const char* ns : {"user", "mnt", "pid", "ipc", "uts", "net", "cgroup"}) {
    auto& list = r.result["namespaces"];
    EXPECT_NE(std::find(list.begin(), list.end(), ns), list.end()) << ns;
  }
  EXPECT_EQ(r.result["isolation"]["no_new_privs"], true);
}

// The result is a line of its own, also after output that ends mid-line: a reader of the
// last line always gets the JSON.
TEST(RunBasic, JsonResultStartsALineOfItsOwn) {
  REQUIRE_ROOT();
  RunOut mid = run_cordon({"run", "--json", "--", "printf", "7"});
  ASSERT_EQ(mid.status, 0) << mid.err;
  EXPECT_EQ(mid.out.rfind("7\n{", 0), 0u) << mid.out.substr(0, 80);
  ASSERT_TRUE(mid.result.is_object()) << mid.out;
  EXPECT_EQ(mid.result["accounting"]["stdout_ends_mid_line"], true);
  RunOut whole = run_cordon({"run", "--json", "--", "echo", "7"});
  EXPECT_EQ(whole.out.rfind("7\n{", 0), 0u) << whole.out.substr(0, 80);  // no blank line
  EXPECT_EQ(whole.result["accounting"]["stdout_ends_mid_line"], false);
}

// The breakdown is marked from three processes (supervisor, PID 1, the command's process
// before execve) on one clock: every step is there, in order, and adds up.
TEST(RunBasic, TimingsBreakDownTheStart) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--json", "--", "sleep", "0.2"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto& t = r.result["timings_us"];
  ASSERT_TRUE(t.is_object()) << r.out;
  double sum = 0;
  for (const char* step :
       {"slot", "cgroup_create", "clone", "id_maps", "mounts", "child_setup", "fork_command",
        "seccomp_load", "exec_and_run", "sandbox_exit", "teardown"}) {
    ASSERT_TRUE(t.contains(step)) << step << " missing in " << t.dump();
    EXPECT_GE(t[step].get<double>(), 0.0) << step;
    sum += t[step].get<double>();
  }
  EXPECT_GT(t["prepare"].get<double>(), 0.0);
  EXPECT_GT(t["clone"].get<double>(), 0.0);
  EXPECT_GT(t["mounts"].get<double>(), 0.0);  // marked by the child, across the clone
  // The command slept 200 ms: that is in exec_and_run, nowhere else.
  EXPECT_GE(t["exec_and_run"].get<double>(), 200000.0);
  EXPECT_LT(t["clone"].get<double>() + t["mounts"].get<double>(), 200000.0);
  // The steps are disjoint parts of the total, which is the result's wall time.
  const double total = t["total"].get<double>();
  EXPECT_LE(sum, total + 1.0);
  EXPECT_NEAR(total, r.result["wall_time_ms"].get<double>() * 1000.0, 1000.0);
}

TEST(RunBasic, GidMapIsTheSlotsOwn) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--json", "--", "cat", "/proc/self/gid_map"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto base = map_base(r.out);
  ASSERT_TRUE(base.has_value()) << r.out;
  EXPECT_EQ(r.result["id_slot"]["gid_base"], *base);
}

TEST(RunBasic, EnvironmentIsClearedExceptTheDocumentedFew) {
  REQUIRE_ROOT();
  ::setenv("CORDON_TEST_SECRET", "leak", 1);
  ::setenv("CORDON_TEST_PASSED", "copied", 1);
  RunOut r = run_cordon({"run", "--env", "A=1", "--env", "CORDON_TEST_PASSED", "--", "env"});
  ::unsetenv("CORDON_TEST_SECRET");
  ::unsetenv("CORDON_TEST_PASSED");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("CORDON_TEST_SECRET"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("A=1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CORDON_TEST_PASSED=copied\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HOME=/root\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PATH=/usr/local/sbin:"), std::string::npos) << r.out;
}

TEST(RunBasic, UidGidAndWorkdirInside) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--uid", "1000", "--gid", "1001", "--workdir", "/tmp/w", "--", "sh",
                         "-c", "id -u; id -g; id -G; pwd; echo $HOME; touch $HOME/f && echo ok"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1000\n1001\n1001\n/tmp/w\n/home/user\nok\n");
}

TEST(RunBasic, HostnameIsPrivate) {
  REQUIRE_ROOT();
  char before[256] = {};
  ::gethostname(before, sizeof(before));
  RunOut r = run_cordon({"run", "--hostname", "box-1", "--", "sh", "-c",
                         "hostname; hostname evil 2>/dev/null; hostname"});
  EXPECT_EQ(r.out, "box-1\nbox-1\n") << r.err;
  char after[256] = {};
  ::gethostname(after, sizeof(after));
  EXPECT_STREQ(before, after);
  EXPECT_STRNE(after, "evil");
}

// The sandbox's own name resolves, from the hosts file, with the host's entries kept.
TEST(RunBasic, HostnameResolvesInside) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--hostname", "judge-7", "--", "sh", "-c",
                         "getent hosts judge-7; getent hosts localhost >/dev/null && echo lo"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "127.0.1.1       judge-7\nlo\n");
  std::string host_hosts = read_file("/etc/hosts");
  EXPECT_EQ(host_hosts.find("judge-7"), std::string::npos) << "the host's file changed";
}

TEST(RunBasic, ResultFileIsWritten) {
  REQUIRE_ROOT();
  TempDir d;
  std::string path = d.path() + "/result.json";
  RunOut r = run_cordon({"run", "--result-file", path, "--", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["reason"], "exited");
}

TEST(RunBasic, HelpAndVersion) {
  RunOut h = run_cordon({"run", "--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("Usage: cordon run"), std::string::npos);
  RunOut v = run_cordon({"version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("cordon ", 0), 0u);
}

}  // namespace
}  // namespace cordon::testing

namespace cordon::testing {
namespace {

// A start that fails half-way claims in its result only the steps it got through: here
// the sandbox's root is pivoted, then a limit above the caller's own hard limit cannot be
// set (setrlimit, after the pivot and before privileges are dropped); the command never
// runs. A refused start (nothing made) claims nothing.
TEST(RunBasic, ASetupFailureClaimsOnlyWhatHappened) {
  REQUIRE_ROOT();
  struct rlimit rl = {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_max >= UINT32_MAX) GTEST_SKIP() << "no hard limit on open files to go above";
  RunOut r = run_cordon(
      {"run", "--json", "--nofile", std::to_string(rl.rlim_max + 1), "--", "echo", "ran"});
  EXPECT_EQ(r.status, 125) << r.err;
  ASSERT_TRUE(r.result.is_object()) << r.out;
  EXPECT_NE(r.out.rfind("ran\n", 0), 0u) << r.out;
  EXPECT_EQ(r.result["reason"], "setup-failed");
  EXPECT_NE(r.result["error"].get<std::string>().find("setrlimit"), std::string::npos)
      << r.result["error"];
  const auto& iso = r.result["isolation"];
  EXPECT_EQ(iso["pivot_root"], true);
  EXPECT_EQ(iso["old_root_detached"], true);
  EXPECT_EQ(iso["no_new_privs"], false);
  EXPECT_EQ(r.result["seccomp"]["loaded"], false);

  RunOut refused = run_cordon({"run", "--json", "--workdir", "/workspace", "--", "true"});
  EXPECT_EQ(refused.status, 64) << refused.err;
  ASSERT_TRUE(refused.result.is_object()) << refused.out;
  EXPECT_EQ(refused.result["isolation"]["pivot_root"], false);
  EXPECT_EQ(refused.result["isolation"]["no_new_privs"], false);
  EXPECT_EQ(refused.result["seccomp"]["loaded"], false);
}

}  // namespace
}  // namespace cordon::testing

namespace cordon::testing {
namespace {

// The "+N.NNNms" of a -v line, or -1 for another line.
double step_ms(const std::string& line) {
  if (line.rfind("cordon: +", 0) != 0) return -1;
  return std::stod(line.substr(9));
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// -v: one stderr line per step of the start, each with its time, in the order of a start
// and of their times; the command's own stdout and stderr are as they were. -vv: the
// details as well. Without -v, nothing.
TEST(RunBasic, VerboseLogsEachStepWithItsTime) {
  REQUIRE_ROOT();
  const std::vector<std::string> cmd = {"--", "/bin/sh", "-c", "echo out; echo err >&2"};
  std::vector<std::string> args = {"run", "-v"};
  args.insert(args.end(), cmd.begin(), cmd.end());
  RunOut r = run_cordon(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "out\n");
  const std::vector<std::string> steps = {"slot ",
                                          "cgroup v",
                                          "cloned: ",
                                          "ID maps written",
                                          "mounts done",
                                          "privileges dropped",
                                          "command's process forked",
                                          "seccomp filter loaded (default)",
                                          "execve /bin/sh",
                                          "command ended",
                                          "sandbox ended",
                                          "torn down"};
  size_t next = 0;
  double last = 0;
  std::string own;
  for (const std::string& line : lines_of(r.err)) {
    double ms = step_ms(line);
    if (ms < 0) {
      own += line + "\n";
      continue;
    }
    EXPECT_GE(ms, last) << r.err;
    last = ms;
    size_t text = line.find("ms ");
    ASSERT_NE(text, std::string::npos) << line;
    ASSERT_LT(next, steps.size()) << "more steps than expected:\n" << r.err;
    EXPECT_EQ(line.substr(text + 3, steps[next].size()), steps[next]) << r.err;
    ++next;
  }
  EXPECT_EQ(next, steps.size()) << r.err;
  EXPECT_EQ(own, "err\n");  // the command's stderr, untouched
  EXPECT_NE(r.err.find("(uids "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("uid_map:"), std::string::npos) << r.err;  // a detail: -vv only

  for (const char* vv : {"-vv", "-v -v"}) {
    args = {"run"};
    if (std::string(vv) == "-vv") {
      args.push_back("-vv");
    } else {
      args.insert(args.end(), {"-v", "-v"});
    }
    args.insert(args.end(), cmd.begin(), cmd.end());
    RunOut d = run_cordon(args);
    ASSERT_EQ(d.status, 0) << d.err;
    EXPECT_EQ(d.out, "out\n");
    for (const char* detail :
         {"cordon:   uid_map: 0 ", "cordon:   gid_map: 0 ", "cordon:   mount: proc proc -> ",
          "cordon:   seccomp: policy default", "cordon:   rlimit: RLIMIT_NOFILE = 1024"})
      EXPECT_NE(d.err.find(detail), std::string::npos) << vv << ": " << detail << "\n" << d.err;
    EXPECT_NE(d.err.find("\nerr\n"), std::string::npos) << d.err;
  }
  RunOut quiet = run_cordon({"run", "--", "/bin/sh", "-c", "echo err >&2"});
  EXPECT_EQ(quiet.err, "err\n");
}

}  // namespace
}  // namespace cordon::testing
