// plan/launch_plan.h: the environment and the compiled plan of one start.
#include "plan/launch_plan.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <string>
#include <vector>

#include "plan/mount_plan.h"
#include "spec/spec.h"

namespace cordon::plan {
namespace {

using spec::SandboxSpec;
using Env = std::vector<std::string>;

SandboxSpec base_spec() {
  SandboxSpec s;
  s.argv = {"true"};
  return s;
}

const std::string kPath = std::string("PATH=") + spec::kDefaultPath;

// ---- build_env ----

TEST(BuildEnv, DefaultsForRoot) {
  EXPECT_EQ(build_env(base_spec(), CallerEnv{}), (Env{kPath, "HOME=/root"}));
}

TEST(BuildEnv, HomeFollowsUid) {
  SandboxSpec s = base_spec();
  s.uid = 1000;
  EXPECT_EQ(build_env(s, CallerEnv{}), (Env{kPath, "HOME=/home/user"}));
}

TEST(BuildEnv, TermAndLangCopiedOnlyWhenSet) {
  SandboxSpec s = base_spec();
  EXPECT_EQ(build_env(s, CallerEnv{"xterm-256color", "C.UTF-8"}),
            (Env{kPath, "HOME=/root", "TERM=xterm-256color", "LANG=C.UTF-8"}));
  EXPECT_EQ(build_env(s, CallerEnv{"xterm", ""}), (Env{kPath, "HOME=/root", "TERM=xterm"}));
  EXPECT_EQ(build_env(s, CallerEnv{"", "en_US.UTF-8"}),
            (Env{kPath, "HOME=/root", "LANG=en_US.UTF-8"}));
}

TEST(BuildEnv, EnvAddsNewVariablesInOrder) {
  SandboxSpec s = base_spec();
  s.env = {{"B", "2"}, {"A", "1"}, {"EMPTY", ""}};
  EXPECT_EQ(build_env(s, CallerEnv{}), (Env{kPath, "HOME=/root", "B=2", "A=1", "EMPTY="}));
}

TEST(BuildEnv, EnvOverridesDefaults) {
  SandboxSpec s = base_spec();
  s.env = {{"PATH", "/opt/bin"}, {"HOME", "/tmp"}, {"TERM", "dumb"}};
  Env env = build_env(s, CallerEnv{"xterm", ""});
  EXPECT_EQ(env, (Env{"PATH=/opt/bin", "HOME=/tmp", "TERM=dumb"}));
}

TEST(BuildEnv, LaterEnvWinsAndNamesStayUnique) {
  SandboxSpec s = base_spec();
  s.env = {{"FOO", "1"}, {"BAR", "x"}, {"FOO", "2"}, {"PATH", "/a"}, {"PATH", "/b"}};
  Env env = build_env(s, CallerEnv{});
  EXPECT_EQ(std::count(env.begin(), env.end(), "FOO=2"), 1);
  EXPECT_EQ(std::count(env.begin(), env.end(), "FOO=1"), 0);
  EXPECT_EQ(std::count(env.begin(), env.end(), "PATH=/b"), 1);
  EXPECT_EQ(std::count(env.begin(), env.end(), "BAR=x"), 1);
  // One entry per name.
  std::vector<std::string> names;
  for (const auto& kv : env) names.push_back(kv.substr(0, kv.find('=')));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_EQ(env.size(), 4u);  // PATH, HOME, FOO, BAR
}

TEST(BuildEnv, ValueMayContainEquals) {
  SandboxSpec s = base_spec();
  s.env = {{"OPTS", "a=b=c"}};
  Env env = build_env(s, CallerEnv{});
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[2], "OPTS=a=b=c");
}

// ---- compile ----

TEST(Compile, NamespacesWithoutTime) {
  LaunchPlan p = compile(base_spec(), CallerEnv{}, /*has_time_ns=*/false);
  EXPECT_EQ(p.namespaces,
            (std::vector<std::string>{"user", "mnt", "pid", "ipc", "uts", "net", "cgroup"}));
  EXPECT_FALSE(p.time_ns);
  EXPECT_EQ(p.clone_flags & CLONE_NEWTIME, 0u);
  for (uint64_t f :
       {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET})
    EXPECT_NE(p.clone_flags & f, 0u) << std::hex << f;
  // The cgroup namespace is unshared later by the child, not made by clone.
  EXPECT_EQ(p.clone_flags & CLONE_NEWCGROUP, 0u);
}

TEST(Compile, NamespacesWithTime) {
  LaunchPlan p = compile(base_spec(), CallerEnv{}, /*has_time_ns=*/true);
  EXPECT_TRUE(p.time_ns);
  EXPECT_NE(p.clone_flags & CLONE_NEWTIME, 0u);
  EXPECT_EQ(std::count(p.namespaces.begin(), p.namespaces.end(), "time"), 1);
  EXPECT_EQ(p.namespaces.size(), 8u);
  LaunchPlan without = compile(base_spec(), CallerEnv{}, false);
  EXPECT_EQ(p.clone_flags & ~static_cast<uint64_t>(CLONE_NEWTIME), without.clone_flags);
}

TEST(Compile, WorkdirDefaultsToHome) {
  SandboxSpec s = base_spec();
  EXPECT_EQ(compile(s, CallerEnv{}, false).workdir, "/root");
  s.uid = 1000;
  EXPECT_EQ(compile(s, CallerEnv{}, false).workdir, "/home/user");
  s.workdir = "/data";
  EXPECT_EQ(compile(s, CallerEnv{}, false).workdir, "/data");
}

TEST(Compile, CopiesSpecFields) {
  SandboxSpec s = base_spec();
  s.argv = {"/bin/sh", "-c", "echo hi"};
  s.hostname = "box";
  s.uid = 1000;
  s.gid = 1001;
  s.env = {{"A", "1"}};
  CallerEnv caller{"xterm", "C"};
  LaunchPlan p = compile(s, caller, false);
  EXPECT_EQ(p.argv, s.argv);
  EXPECT_EQ(p.hostname, "box");
  EXPECT_EQ(p.uid, 1000u);
  EXPECT_EQ(p.gid, 1001u);
  EXPECT_EQ(p.envp, build_env(s, caller));
}

TEST(Compile, MountsAreThePlanOfTheSpec) {
  SandboxSpec s = base_spec();
  s.rootfs = "/img";
  s.binds = {{"/srv", "/srv", true}};
  LaunchPlan p = compile(s, CallerEnv{}, false);
  MountPlan expected = plan_mounts(s);
  ASSERT_EQ(p.mounts.steps.size(), expected.steps.size());
  for (size_t i = 0; i < expected.steps.size(); ++i) {
    EXPECT_EQ(p.mounts.steps[i].op, expected.steps[i].op) << i;
    EXPECT_EQ(p.mounts.steps[i].source, expected.steps[i].source) << i;
    EXPECT_EQ(p.mounts.steps[i].target, expected.steps[i].target) << i;
    EXPECT_EQ(p.mounts.steps[i].data, expected.steps[i].data) << i;
  }
  EXPECT_EQ(p.mounts.tree_count(), 2u);
}

}  // namespace
}  // namespace cordon::plan
