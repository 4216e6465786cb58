// spec/spec.h: validate() is the one gate for a spec; every field's shape, size and range.
#include "spec/spec.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cordon::spec {
namespace {

SandboxSpec good_spec() {
  SandboxSpec s;
  s.argv = {"true"};
  return s;
}

// The field (Error::path) a rejected spec names; fails the test when the spec passes.
std::string rejected_field(const SandboxSpec& s) {
  Status st = validate(s);
  EXPECT_FALSE(st.ok()) << "spec unexpectedly valid";
  if (st.ok()) return "<valid>";
  EXPECT_EQ(st.error().step, "invalid");
  EXPECT_EQ(st.error().err, 0);
  return st.error().path;
}

void expect_valid(const SandboxSpec& s) {
  Status st = validate(s);
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

SandboxSpec with_bind(std::string source, std::string target, bool writable = false) {
  SandboxSpec s = good_spec();
  s.binds.push_back({std::move(source), std::move(target), writable});
  return s;
}

// ---- good specs ----

TEST(SpecValidate, DefaultSpecWithCommandIsValid) {
  expect_valid(good_spec());
}

TEST(SpecValidate, DefaultsAreDocumentedValues) {
  SandboxSpec s;
  EXPECT_EQ(s.hostname, "cordon");
  EXPECT_EQ(s.uid, 0u);
  EXPECT_EQ(s.gid, 0u);
  EXPECT_EQ(s.disk_bytes, 512ull << 20);
  EXPECT_FALSE(s.rootfs.has_value());
  EXPECT_TRUE(s.workdir.empty());
}

TEST(SpecValidate, FullyPopulatedSpecIsValid) {
  SandboxSpec s = good_spec();
  s.argv = {"/bin/sh", "-c", "echo hi", ""};  // empty arguments after argv[0] are fine
  s.env = {{"FOO", "bar"}, {"_X1", ""}, {"lower_case", "v=w"}};
  s.rootfs = "/img";
  s.binds = {{"/srv/data", "/data", true},
             {"/srv/b", "/procfs", false},
             {"/x", "/devices", false},
             {"/y", "/a/b/c", false}};
  s.workdir = "/data";
  s.hostname = "my-host.example";
  s.uid = 65535;
  s.gid = 65535;
  s.disk_bytes = kMinDiskBytes;
  expect_valid(s);
}

// ---- argv ----

TEST(SpecValidate, RejectsEmptyArgv) {
  SandboxSpec s;
  EXPECT_EQ(rejected_field(s), "command");
}

TEST(SpecValidate, RejectsEmptyCommandName) {
  SandboxSpec s = good_spec();
  s.argv = {"", "x"};
  EXPECT_EQ(rejected_field(s), "command");
}

TEST(SpecValidate, RejectsNulInArgument) {
  SandboxSpec s = good_spec();
  s.argv = {"echo", std::string("a\0b", 3)};
  EXPECT_EQ(rejected_field(s), "command");
  s.argv = {std::string("ec\0ho", 5)};
  EXPECT_EQ(rejected_field(s), "command");
}

TEST(SpecValidate, ArgCountLimit) {
  SandboxSpec s = good_spec();
  s.argv.assign(kMaxArgs, "a");
  expect_valid(s);
  s.argv.push_back("a");
  EXPECT_EQ(rejected_field(s), "command");
}

// ---- env ----

TEST(SpecValidate, RejectsInvalidEnvNames) {
  for (const char* name : {"1A", "A-B", "", "A=B", "A B", "A.B"}) {
    SandboxSpec s = good_spec();
    s.env = {{name, "v"}};
    EXPECT_EQ(rejected_field(s), "env") << "name '" << name << "'";
  }
}

TEST(SpecValidate, AcceptsValidEnvNames) {
  for (const char* name : {"A", "_", "_1", "a1_B2", "PATH"}) {
    SandboxSpec s = good_spec();
    s.env = {{name, "v"}};
    expect_valid(s);
  }
}

TEST(SpecValidate, RejectsNulInEnvValue) {
  SandboxSpec s = good_spec();
  s.env = {{"K", std::string("a\0b", 3)}};
  EXPECT_EQ(rejected_field(s), "env");
}

TEST(SpecValidate, EnvCountLimit) {
  SandboxSpec s = good_spec();
  for (size_t i = 0; i < kMaxEnv; ++i) s.env.emplace_back("V" + std::to_string(i), "x");
  expect_valid(s);
  s.env.emplace_back("ONE_MORE", "x");
  EXPECT_EQ(rejected_field(s), "env");
}

TEST(SpecValidate, TotalArgAndEnvBytesLimit) {
  // argv counts each argument plus its NUL: "true\0" is 5 bytes.
  SandboxSpec s = good_spec();
  s.argv = {"true", std::string(kMaxArgBytes - 5 - 1, 'a')};  // exactly 1 MiB in all
  expect_valid(s);
  s.argv[1].push_back('a');  // one byte over
  EXPECT_EQ(rejected_field(s), "command");

  // Environment entries count as "K=V\0".
  SandboxSpec e = good_spec();
  e.env = {{"K", std::string(kMaxArgBytes, 'v')}};
  EXPECT_EQ(rejected_field(e), "command");

  // Neither alone exceeds the limit; together they do.
  SandboxSpec both = good_spec();
  both.argv = {"true", std::string(kMaxArgBytes / 2, 'a')};
  both.env = {{"K", std::string(kMaxArgBytes / 2, 'v')}};
  EXPECT_EQ(rejected_field(both), "command");
}

// ---- rootfs ----

TEST(SpecValidate, RejectsUnusableRootfs) {
  SandboxSpec s = good_spec();
  s.rootfs = "";
  EXPECT_EQ(rejected_field(s), "rootfs");
  s.rootfs = std::string("/im\0g", 5);
  EXPECT_EQ(rejected_field(s), "rootfs");
  s.rootfs = "/" + std::string(kMaxPath, 'a');
  EXPECT_EQ(rejected_field(s), "rootfs");
}

// ---- binds ----

TEST(SpecValidate, RejectsBindTargetNotClean) {
  for (const char* target :
       {"data", "", "/a/../b", "/..", "/a/./b", "//a", "/a//b", "/a/", "/data/"}) {
    EXPECT_EQ(rejected_field(with_bind("/src", target)), "bind") << "target '" << target << "'";
  }
}

TEST(SpecValidate, RejectsReservedBindTargets) {
  for (const char* target :
       {"/", "/proc", "/proc/x", "/proc/sys/kernel", "/dev", "/dev/null", "/dev/shm"}) {
    SandboxSpec s = with_bind("/src", target);
    Status st = validate(s);
    ASSERT_FALSE(st.ok()) << "target '" << target << "'";
    EXPECT_EQ(st.error().path, "bind");
    EXPECT_NE(st.error().detail.find("reserved"), std::string::npos)
        << "target '" << target << "': " << st.error().to_string();
  }
}

TEST(SpecValidate, AllowsTargetsThatOnlyShareAPrefixWithReservedOnes) {
  expect_valid(with_bind("/src", "/procx"));
  expect_valid(with_bind("/src", "/devel"));
  expect_valid(with_bind("/src", "/home/proc"));
}

TEST(SpecValidate, RejectsBindSourceEmptyOrNul) {
  EXPECT_EQ(rejected_field(with_bind("", "/data")), "bind");
  EXPECT_EQ(rejected_field(with_bind(std::string("/s\0rc", 5), "/data")), "bind");
}

TEST(SpecValidate, BindCountLimit) {
  SandboxSpec s = good_spec();
  for (size_t i = 0; i < kMaxBinds; ++i)
    s.binds.push_back({"/src", "/mnt/b" + std::to_string(i), false});
  expect_valid(s);
  s.binds.push_back({"/src", "/mnt/extra", false});
  EXPECT_EQ(rejected_field(s), "bind");
}

// ---- workdir ----

TEST(SpecValidate, Workdir) {
  SandboxSpec s = good_spec();
  s.workdir = "/work";
  expect_valid(s);
  s.workdir = "work";
  EXPECT_EQ(rejected_field(s), "workdir");
  s.workdir = "/work/../etc";
  EXPECT_EQ(rejected_field(s), "workdir");
  s.workdir = "/work/";
  EXPECT_EQ(rejected_field(s), "workdir");
}

// ---- hostname ----

TEST(SpecValidate, RejectsInvalidHostnames) {
  for (const std::string& h :
       {std::string(), std::string(65, 'a'), std::string("-a"), std::string(".a"),
        std::string("a b"), std::string("a_b"), std::string("a/b"), std::string("h\xc3\xa9")}) {
    SandboxSpec s = good_spec();
    s.hostname = h;
    EXPECT_EQ(rejected_field(s), "hostname") << "hostname '" << h << "'";
  }
}

TEST(SpecValidate, AcceptsValidHostnames) {
  for (const std::string& h :
       {std::string(64, 'a'), std::string("a"), std::string("A-1.b"), std::string("123")}) {
    SandboxSpec s = good_spec();
    s.hostname = h;
    expect_valid(s);
  }
}

// ---- ids and disk ----

TEST(SpecValidate, UidGidRange) {
  SandboxSpec s = good_spec();
  s.uid = 65535;
  s.gid = 65535;
  expect_valid(s);
  s.uid = 65536;
  EXPECT_EQ(rejected_field(s), "uid");
  s.uid = 0;
  s.gid = 65536;
  EXPECT_EQ(rejected_field(s), "gid");
  s.gid = static_cast<gid_t>(-1);
  EXPECT_EQ(rejected_field(s), "gid");
}

TEST(SpecValidate, DiskMinimum) {
  SandboxSpec s = good_spec();
  s.disk_bytes = kMinDiskBytes;
  expect_valid(s);
  s.disk_bytes = kMinDiskBytes - 1;
  EXPECT_EQ(rejected_field(s), "disk");
  s.disk_bytes = 0;
  EXPECT_EQ(rejected_field(s), "disk");
}

// ---- is_clean_absolute_path ----

TEST(CleanAbsolutePath, Accepts) {
  EXPECT_TRUE(is_clean_absolute_path("/"));
  EXPECT_TRUE(is_clean_absolute_path("/a"));
  EXPECT_TRUE(is_clean_absolute_path("/usr/local/bin"));
  EXPECT_TRUE(is_clean_absolute_path("/a/.hidden"));
  EXPECT_TRUE(is_clean_absolute_path("/a/..."));
  EXPECT_TRUE(is_clean_absolute_path("/a/b..c"));
  EXPECT_TRUE(is_clean_absolute_path("/" + std::string(kMaxPath - 1, 'a')));  // exactly kMaxPath
}

TEST(CleanAbsolutePath, Rejects) {
  EXPECT_FALSE(is_clean_absolute_path(""));
  EXPECT_FALSE(is_clean_absolute_path("a"));
  EXPECT_FALSE(is_clean_absolute_path("a/b"));
  EXPECT_FALSE(is_clean_absolute_path("./a"));
  EXPECT_FALSE(is_clean_absolute_path("//"));
  EXPECT_FALSE(is_clean_absolute_path("//a"));
  EXPECT_FALSE(is_clean_absolute_path("/a//b"));
  EXPECT_FALSE(is_clean_absolute_path("/a/"));
  EXPECT_FALSE(is_clean_absolute_path("/."));
  EXPECT_FALSE(is_clean_absolute_path("/.."));
  EXPECT_FALSE(is_clean_absolute_path("/a/."));
  EXPECT_FALSE(is_clean_absolute_path("/a/.."));
  EXPECT_FALSE(is_clean_absolute_path("/a/./b"));
  EXPECT_FALSE(is_clean_absolute_path("/a/../b"));
  EXPECT_FALSE(is_clean_absolute_path(std::string("/a\0b", 4)));
  EXPECT_FALSE(is_clean_absolute_path("/" + std::string(kMaxPath, 'a')));  // kMaxPath + 1
}

// ---- home_dir ----

TEST(HomeDir, RootAndUser) {
  SandboxSpec s = good_spec();
  s.uid = 0;
  EXPECT_EQ(home_dir(s), "/root");
  s.uid = 1000;
  EXPECT_EQ(home_dir(s), "/home/user");
  s.uid = 1;
  EXPECT_EQ(home_dir(s), "/home/user");
  s.uid = 0;
  s.gid = 1000;  // the gid does not decide
  EXPECT_EQ(home_dir(s), "/root");
}

TEST(SpecValidate, BindSourceMustBeAbsolute) {
  EXPECT_FALSE(validate(with_bind("relative/dir", "/x")).ok());
  expect_valid(with_bind("/abs/dir", "/x"));
}

// A prestarted sandbox may run a request's command only if everything else is equal.
TEST(SameSandbox, OnlyCommandAndEnvMayDiffer) {
  SandboxSpec a, b;
  a.argv = {"true"};
  b.argv = {"sh", "-c", "echo"};
  b.env = {{"K", "V"}};
  EXPECT_TRUE(same_sandbox(a, b));
  auto differs = [&](auto change) {
    SandboxSpec c = a;
    change(c);
    return !same_sandbox(a, c);
  };
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.rootfs = "/img"; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.binds.push_back({"/a", "/b", false}); }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.workdir = "/tmp"; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.hostname = "other"; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.uid = 1000; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.gid = 1000; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.disk_bytes = 1 << 20; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.limits.memory_bytes = 64 << 20; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.limits.wall_ns = 1000000000; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.limits.io.push_back({"/dev/vda", 1, 2, 3, 4}); }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.cgroup_parent = "/x"; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.no_cgroup = true; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.seccomp.kind = SeccompChoice::Kind::kStrict; }));
  EXPECT_TRUE(differs([](SandboxSpec& c) { c.seccomp_report = true; }));
}

}  // namespace
}  // namespace cordon::spec
