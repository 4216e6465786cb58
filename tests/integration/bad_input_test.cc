// Bad input: one clear line on stderr, a distinct exit status, nothing left behind.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "harness.h"

namespace cordon::testing {
namespace {

std::set<std::string> tmp_entries() {
  std::set<std::string> out;
  DIR* d = ::opendir("/tmp");
  while (d != nullptr && (errno = 0, true)) {
    struct dirent* e = ::readdir(d);
    if (e == nullptr) break;
    out.insert(e->d_name);
  }
  if (d != nullptr) ::closedir(d);
  return out;
}

struct Case {
  std::vector<std::string> args;
  int status;
  std::string names;  // a part of the one stderr line
};

int line_count(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

TEST(BadInput, EachGetsOneLineAndADistinctStatus) {
  REQUIRE_ROOT();
  TempDir d;
  std::string script = d.path() + "/not-executable";
  {
    FILE* f = std::fopen(script.c_str(), "w");
    std::fputs("#!/bin/sh\n", f);
    std::fclose(f);
  }
  ::chmod(script.c_str(), 0644);
  ::chmod(d.path().c_str(), 0755);
  std::vector<Case> cases = {
      {{"run", "--no-such-option", "--", "true"}, 64, "--no-such-option"},
      {{"run", "--disk", "12X", "--", "true"}, 64, "'12X'"},
      // A value error names the flag as well as the value.
      {{"run", "--memory", "12Q", "--", "true"}, 64, "--memory: '12Q'"},
      {{"run", "--memory", "99999T", "--", "true"}, 64, "at most 64T"},
      {{"run", "--seccomp", "bogus", "--", "true"}, 64, "expected default, strict, unconfined"},
      {{"run", "--seccomp", "/etc/passwd", "--", "true"}, 64, "/etc/passwd"},
      {{"run", "--uid", "70000", "--", "true"}, 64, "'70000'"},
      {{"run", "--hostname", "bad name", "--", "true"}, 64, "hostname"},
      {{"run", "--bind", "/etc:relative", "--", "true"}, 64, "relative"},
      {{"run"}, 64, "no command"},
      {{"run", "--rootfs", "/nonexistent/rootfs", "--", "true"}, 66, "/nonexistent/rootfs"},
      {{"run", "--rootfs", "/etc/passwd", "--", "true"}, 66, "/etc/passwd"},
      {{"run", "--bind", "/nonexistent/src:/x", "--", "true"}, 66, "/nonexistent/src"},
      {{"run", "--", "no-such-command-xyz"}, 127, "no-such-command-xyz"},
      {{"run", "--bind", d.path() + ":/d", "--", "/d/not-executable"}, 126, "not-executable"},
      {{"frobnicate"}, 64, "frobnicate"},
      // Found before the command runs (it would print "ran"; the case wants no stdout).
      {{"run", "--result-file", "/nonexistent/dir/r.json", "--", "echo", "ran"},
       73,
       "/nonexistent/dir/r.json"},
      {{"-v", "run", "--", "true"}, 64, "cordon run -v"},  // an option before its command
      {{"version", "extra"}, 64, "version takes no arguments"},
  };
  std::string mounts_before = host_mountinfo_outside_tests();
  auto tmp_before = tmp_entries();
  for (const auto& c : cases) {
    RunOut r = run_cordon(c.args);
    std::string what = c.args.size() > 1 ? c.args[1] : c.args[0];
    EXPECT_EQ(r.status, c.status) << what << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1) << what << ": " << r.err;
    EXPECT_EQ(r.err.rfind("cordon: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << what << ": " << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(host_mountinfo_outside_tests(), mounts_before);
  auto tmp_after = tmp_entries();
  for (const auto& e : tmp_after) {
    // Only cordon's own names: other tests running at the same time make their own
    // cordon-test-* folders, and compilers and other programs their temporary files.
    if (e.rfind("cordon", 0) != 0 || e.rfind("cordon-test-", 0) == 0) continue;
    EXPECT_TRUE(tmp_before.count(e)) << "left in /tmp: " << e;
  }
}

TEST(BadInput, JsonResultNamesTheFailure) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--json", "--", "no-such-command-xyz"});
  EXPECT_EQ(r.status, 127);
  EXPECT_EQ(r.result["reason"], "setup-failed");
  EXPECT_NE(r.result["error"].get<std::string>().find("No such file"), std::string::npos);
}

// A limit that ends the run says so on stderr, naming the limit and its value, also
// without --json (the exit status alone, 124, said nothing to a person).
TEST(BadInput, ALimitKillSaysWhichLimit) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--time", "300ms", "--", "sleep", "30"});
  EXPECT_EQ(r.status, 124) << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("wall-clock limit (--time 300ms)"), std::string::npos) << r.err;
  RunOut help = run_cordon({"version", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_EQ(help.out.rfind("Usage: cordon version", 0), 0u) << help.out;
  RunOut ok = run_cordon({"run", "--", "true"});
  EXPECT_EQ(ok.status, 0);
  EXPECT_EQ(ok.err, "");  // a run that ended by itself says nothing
}

// Mistakes about the sandbox's filesystem and cgroups are found before the start: a usage
// status (64, 66) and a line naming the flag and what to do, never cordon's staging paths
// (/tmp/root) or the 125 of a start that failed half-way; nothing is created.
TEST(BadInput, InsideMistakesAreFoundBeforeTheStart) {
  REQUIRE_ROOT();
  TempDir d;
  std::string file = d.path() + "/f";
  {
    FILE* f = std::fopen(file.c_str(), "w");
    std::fputs("x\n", f);
    std::fclose(f);
  }
  ::chmod(d.path().c_str(), 0755);  // the sandbox's root may enter it
  std::vector<Case> cases = {
      {{"--bind", file + ":/usr/cordon-no-such-x"}, 64, "/usr is read-only inside the sandbox"},
      {{"--workdir", "/workspace"}, 64, "--bind SRC:/workspace"},
      {{"--workdir", "/usr/cordon-no-such-dir"}, 64, "no such folder inside the sandbox"},
      {{"--bind", file + ":/usr/bin"}, 64, "is a folder inside the sandbox"},
      {{"--bind", d.path() + ":/data", "--workdir", "/data/missing"}, 64, "read-only bind"},
      {{"--cgroup-parent", "/cordon-no-such-parent"}, 66, "no such cgroup"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", "--json"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--", "echo", "ran"});
    RunOut r = run_cordon(args);
    const std::string& flag = c.args[c.args.size() - 2];
    EXPECT_EQ(r.status, c.status) << flag << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("cordon: " + flag + " "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("/tmp/root"), std::string::npos) << r.err;  // a staging path
    // Refused before the start: the command never ran, no slot or cgroup was taken.
    EXPECT_NE(r.out.rfind("ran\n", 0), 0u) << r.out;
    ASSERT_TRUE(r.result.is_object()) << r.out;
    EXPECT_EQ(r.result["reason"], "setup-failed");
    EXPECT_TRUE(r.result["cgroup"].is_null()) << r.out;
    EXPECT_TRUE(r.result["id_slot"].is_null()) << r.out;
  }
  struct stat st;
  EXPECT_NE(::stat("/sys/fs/cgroup/cordon-no-such-parent", &st), 0);
  EXPECT_NE(::stat("/sys/fs/cgroup/memory/cordon-no-such-parent", &st), 0);
  // What the advice points to does work: an existing path in a host tree, a new folder
  // at the top, a bound folder as the working directory.
  RunOut ok = run_cordon({"run", "--bind", file + ":/usr/bin/true", "--bind", d.path() + ":/data",
                          "--workdir", "/data", "--", "/bin/sh", "-c", "cat /usr/bin/true; pwd"});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.out, "x\n/data\n");
}

// A caller that is not root is told, in one line, that cordon run needs root and why,
// before anything is touched (not "open /run/cordon/slots/...: Permission denied").
TEST(BadInput, NonRootCallerIsToldToRunAsRoot) {
  REQUIRE_ROOT();  // to become nobody
  RunOut r = run_program({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          cordon_binary(), "run", "--", "true"});
  EXPECT_EQ(r.status, 77) << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("cordon: cordon run must run as root: it maps each sandbox onto a host "
                        "UID/GID range of its own",
                        0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("cgroups"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  // --help needs no privilege.
  RunOut help = run_program({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             cordon_binary(), "run", "--help"});
  EXPECT_EQ(help.status, 0) << help.err;
}

}  // namespace
}  // namespace cordon::testing
