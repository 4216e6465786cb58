// Seccomp against real sandboxes: the default profile denies what docs/seccomp.md lists
// (the probe calls each one and checks the errno), closes the x32 and int 0x80 doors,
// leaves real workloads working, and --seccomp-report counts what it denied.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness.h"

namespace cordon::testing {
namespace {

std::string probe_dir() {
  return std::filesystem::path(SECCOMP_PROBE).parent_path();
}

class Seccomp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root and user namespaces";
  }
  RunOut probe(std::vector<std::string> options, std::vector<std::string> probe_args) {
    std::vector<std::string> a = {"run", "--bind", probe_dir() + ":/probe"};
    a.insert(a.end(), options.begin(), options.end());
    a.insert(a.end(), {"--", "/probe/seccomp_probe"});
    a.insert(a.end(), probe_args.begin(), probe_args.end());
    return run_cordon(a);
  }
};

// Whether this kernel has the i386 entry at all: a kernel built or booted without IA32
// emulation faults int 0x80 from 64-bit code (SIGSEGV) before any filter could see it.
bool kernel_has_int80() {
  pid_t pid = ::fork();
  if (pid == 0) {
    long ret;
    asm volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
    ::_exit(0);
  }
  int ws = 0;
  ::waitpid(pid, &ws, 0);
  return WIFEXITED(ws);
}

// Every denied syscall fails with its documented errno; x32 and int 0x80 are killed.
TEST_F(Seccomp, DefaultProfileDeniesEachListedSyscall) {
  RunOut r = probe({}, {"--check"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  std::string int80 = kernel_has_int80() ? "int80-getpid killed:SYS" : "int80-getpid killed:SEGV";
  for (const std::string& line :
       {std::string("keyctl EPERM"), std::string("bpf EPERM"), std::string("io_uring_setup EPERM"),
        std::string("userfaultfd EPERM"), std::string("io_setup ENOSYS"),
        std::string("ioctl-tiocsetd EPERM"), std::string("x32-getpid killed:SYS"), int80}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
}

TEST_F(Seccomp, AllowedCallsStillWork) {
  RunOut r = probe({}, {"--allowed", "--check"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

// The probe can fail: without a filter the kernel answers the same calls otherwise.
TEST_F(Seccomp, UnconfinedIsAnExplicitRecordedOptIn) {
  RunOut r = probe({"--seccomp", "unconfined", "--json"}, {"--check"});
  EXPECT_NE(r.status, 0) << "the probe's checks passed without a filter: they prove nothing";
  if (kernel_has_int80()) {
    EXPECT_NE(r.out.find("int80-getpid ok"), std::string::npos) << r.out;
  }
  EXPECT_EQ(r.result["seccomp"]["profile"], "unconfined");
  EXPECT_EQ(r.result["seccomp"]["loaded"], false);
  RunOut d = run_cordon({"run", "--json", "--", "grep", "Seccomp:", "/proc/self/status"});
  EXPECT_EQ(d.out.substr(0, d.out.find('\n')), "Seccomp:\t2");
  EXPECT_EQ(d.result["seccomp"]["profile"], "default");
  EXPECT_EQ(d.result["seccomp"]["loaded"], true);
}

TEST_F(Seccomp, ReportCountsTheDeniedCalls) {
  RunOut r = probe({"--seccomp-report", "--json"}, {"--check"});
  EXPECT_EQ(r.status, 0) << r.err;
  bool keyctl = false;
  for (const auto& d : r.result["seccomp"]["denied"]) {
    if (d["syscall"] == "keyctl") {
      keyctl = true;
      EXPECT_EQ(d["errno"], "EPERM");
      EXPECT_GE(d["count"].get<int>(), 1);
    }
  }
  EXPECT_TRUE(keyctl) << r.result["seccomp"].dump();
  EXPECT_NE(r.err.find("cordon: seccomp denied: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("keyctl EPERM x"), std::string::npos) << r.err;
}

TEST_F(Seccomp, OciProfileFileIsApplied) {
  TempDir d;
  ::chmod(d.path().c_str(), 0755);
  std::string profile = d.path() + "/profile.json";
  std::ofstream(profile) << R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})";
  RunOut r = run_cordon(
      {"run", "--seccomp", profile, "--json", "--", "sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?"});
  EXPECT_NE(r.out.find("Permission denied"), std::string::npos) << r.out;
  EXPECT_EQ(r.result["seccomp"]["profile"], "file");
  EXPECT_EQ(r.result["seccomp"]["file"], profile);
  // A profile that does not parse is refused before anything starts, naming the place.
  std::ofstream(profile) << R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": 5}]})";
  RunOut bad = run_cordon({"run", "--seccomp", profile, "--", "true"});
  EXPECT_EQ(bad.status, 64) << bad.err;
  EXPECT_NE(bad.err.find("syscalls[0]"), std::string::npos) << bad.err;
  RunOut missing = run_cordon({"run", "--seccomp", d.path() + "/none.json", "--", "true"});
  EXPECT_EQ(missing.status, 66) << missing.err;
}

// Real workloads work unchanged under the default profile.
class Workloads : public Seccomp {
 protected:
  RunOut sh(const std::string& script) {
    return run_cordon({"run", "--time", "120s", "--", "sh", "-c", script});
  }
};

TEST_F(Workloads, ShellPipeline) {
  RunOut r = sh("seq 1 1000 | grep 7 | sort -r | head -n 3 | wc -l");
  EXPECT_EQ(r.out, "3\n") << r.err;
}

TEST_F(Workloads, CompileAndRunACProgramWithThreads) {
  if (::access("/usr/bin/gcc", X_OK) != 0) GTEST_SKIP() << "needs gcc";
  RunOut r =
      sh("cd /tmp && printf '#include <pthread.h>\\n#include <stdio.h>\\nvoid* f(void* a){return "
         "a;}\\nint main(){pthread_t t; pthread_create(&t,0,f,0); pthread_join(t,0); "
         "puts(\"hi from C\"); return 0;}\\n' > t.c && gcc -O1 -pthread t.c -o t && ./t");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hi from C\n");
}

TEST_F(Workloads, PythonThreadsSubprocessMultiprocessingSocketsMmap) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs python3";
  RunOut r = run_cordon({"run", "--time", "120s", "--", "/usr/bin/python3", "-c", R"(
import mmap, multiprocessing, socket, subprocess, threading
t = threading.Thread(target=lambda: None); t.start(); t.join()
assert subprocess.run(['echo', 'sub'], capture_output=True).stdout == b'sub\n'
with multiprocessing.Pool(2) as p: assert p.map(abs, [-1, -2]) == [1, 2]
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept(); c.sendall(b'x'); assert a.recv(1) == b'x'
m = mmap.mmap(-1, 4096); m[0:2] = b'ok'; assert m[0:2] == b'ok'
print('python ok')
)"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "python ok\n");
}

TEST_F(Workloads, GitInitAndCommit) {
  if (::access("/usr/bin/git", X_OK) != 0) GTEST_SKIP() << "needs git";
  RunOut r =
      sh("cd /tmp && git init -q repo && cd repo && echo a > f && git add f && "
         "git -c user.name=t -c user.email=t@e commit -qm first && git log --oneline | wc -l");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
}

TEST_F(Workloads, MakeOfASmallProject) {
  if (::access("/usr/bin/make", X_OK) != 0) GTEST_SKIP() << "needs make";
  RunOut r =
      sh("cd /tmp && printf 'all: out\\nout: in\\n\\tcp in out\\n\\techo built\\n' > Makefile && "
         "echo x > in && make -s && make -s && cat out");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "built\nx\n");
}

}  // namespace
}  // namespace cordon::testing

namespace cordon::testing {
namespace {

// A profile that does not let the command's execve through: the command never ran, and
// the result says so (setup-failed, 126, an error naming execve), whether the filter
// kills the call, fails it, or also keeps the failure from being reported on the socket.
TEST_F(Seccomp, AProfileThatStopsTheExecIsASetupFailure) {
  TempDir d;
  struct Case {
    std::string profile;
    std::string error;
  };
  std::vector<Case> cases = {
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],)"
       R"("action":"SCMP_ACT_KILL_PROCESS"}]})",
       "execve true: killed by the seccomp filter (SIGSYS)"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],)"
       R"("action":"SCMP_ACT_ERRNO"}]})",
       "execve true: Operation not permitted"},
      // The report of the failed execve is denied, then killed: the timeline tells.
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],)"
       R"("action":"SCMP_ACT_ERRNO"},{"names":["sendmsg"],"action":"SCMP_ACT_ERRNO"}]})",
       "execve true: Operation not permitted"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],)"
       R"("action":"SCMP_ACT_ERRNO"},{"names":["sendmsg"],"action":"SCMP_ACT_KILL_PROCESS"}]})",
       "execve true: Operation not permitted (then its process was killed by signal 31"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string path = d.path() + "/p" + std::to_string(i) + ".json";
    std::ofstream(path) << cases[i].profile;
    RunOut r = run_cordon({"run", "--json", "--seccomp", path, "--", "true"});
    EXPECT_EQ(r.status, 126) << cases[i].profile << "\n" << r.err;
    ASSERT_TRUE(r.result.is_object()) << r.out;
    EXPECT_EQ(r.result["reason"], "setup-failed") << cases[i].profile;
    EXPECT_EQ(r.result["exit_code"], 126);
    EXPECT_TRUE(r.result["signal"].is_null());
    ASSERT_TRUE(r.result["error"].is_string()) << cases[i].profile;
    EXPECT_EQ(r.result["error"].get<std::string>().rfind(cases[i].error, 0), 0u)
        << r.result["error"];
    EXPECT_EQ(r.err, "cordon: " + r.result["error"].get<std::string>() + "\n");
    // It got as far as the filter: those claims hold.
    EXPECT_EQ(r.result["seccomp"]["loaded"], true);
    EXPECT_EQ(r.result["isolation"]["no_new_privs"], true);
  }
  // A command that ran and then died of SIGSYS is the command's own end.
  RunOut ran = run_cordon({"run", "--json", "--", "/bin/sh", "-c", "kill -SYS $$"});
  EXPECT_EQ(ran.status, 159) << ran.err;
  EXPECT_EQ(ran.result["reason"], "signaled");
  EXPECT_TRUE(ran.result["error"].is_null());
}

}  // namespace
}  // namespace cordon::testing
