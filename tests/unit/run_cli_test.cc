// api/run_cli.h: `cordon run` arguments to RunOptions, with a fake environment.
#include "cli/run_cli.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "spec/spec.h"

namespace cordon::cli {
namespace {

using Args = std::vector<std::string>;

// The caller's environment, as the fake getenv sees it.
const char* fake_getenv(const char* name) {
  if (std::strcmp(name, "FROM_CALLER") == 0) return "caller value";
  if (std::strcmp(name, "EMPTY_VAR") == 0) return "";
  return nullptr;
}

// Fails on the first call: for parses that must not consult the environment.
const char* no_getenv(const char* name) {
  ADD_FAILURE() << "getenv(" << name << ") called";
  return nullptr;
}

RunOptions parse_ok(const Args& args) {
  auto r = parse_run_args(args, fake_getenv);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? *r : RunOptions{};
}

// The Error of a rejected parse; fails the test when it parsed.
Error parse_err(const Args& args) {
  auto r = parse_run_args(args, fake_getenv);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return Error{};
  EXPECT_EQ(r.error().step, "usage");
  return r.error();
}

// ---- the command ----

TEST(RunCli, CommandAfterDoubleDashKeepsItsDashes) {
  RunOptions o = parse_ok({"--", "ls", "-la", "--json", "--"});
  EXPECT_EQ(o.spec.argv, (Args{"ls", "-la", "--json", "--"}));
  EXPECT_FALSE(o.json);
}

TEST(RunCli, CommandWithoutDoubleDashStartsAtFirstNonOption) {
  RunOptions o = parse_ok({"--json", "ls", "-la", "--verbose"});
  EXPECT_EQ(o.spec.argv, (Args{"ls", "-la", "--verbose"}));
  EXPECT_TRUE(o.json);
  EXPECT_FALSE(o.verbose);
}

TEST(RunCli, CommandAloneKeepsDefaults) {
  auto r = parse_run_args({"true"}, no_getenv);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const RunOptions& o = *r;
  EXPECT_EQ(o.spec.argv, (Args{"true"}));
  EXPECT_FALSE(o.json);
  EXPECT_FALSE(o.verbose);
  EXPECT_FALSE(o.help);
  EXPECT_TRUE(o.result_file.empty());
  EXPECT_FALSE(o.spec.rootfs.has_value());
  EXPECT_TRUE(o.spec.binds.empty());
  EXPECT_TRUE(o.spec.env.empty());
  EXPECT_EQ(o.spec.disk_bytes, spec::kDefaultDiskBytes);
  EXPECT_EQ(o.spec.hostname, spec::kDefaultHostname);
  EXPECT_EQ(o.spec.uid, 0u);
  EXPECT_EQ(o.spec.gid, 0u);
  EXPECT_TRUE(o.spec.workdir.empty());
}

TEST(RunCli, NoCommandIsAnError) {
  EXPECT_EQ(parse_err({}).path, "command");
  EXPECT_EQ(parse_err({"--"}).path, "command");
  EXPECT_EQ(parse_err({"--json"}).path, "command");
  EXPECT_EQ(parse_err({"--json", "--disk", "64M", "--"}).path, "command");
}

// ---- option forms ----

TEST(RunCli, OptionsBeforeDoubleDashInBothForms) {
  RunOptions o = parse_ok({"--rootfs", "/img", "--disk=64M", "--hostname", "box", "--workdir=/w",
                           "--uid", "1000", "--gid=1001", "--result-file", "/tmp/r.json", "--json",
                           "-v", "--", "sh", "-c", "exit 3"});
  ASSERT_TRUE(o.spec.rootfs.has_value());
  EXPECT_EQ(*o.spec.rootfs, "/img");
  EXPECT_EQ(o.spec.disk_bytes, 64ull << 20);
  EXPECT_EQ(o.spec.hostname, "box");
  EXPECT_EQ(o.spec.workdir, "/w");
  EXPECT_EQ(o.spec.uid, 1000u);
  EXPECT_EQ(o.spec.gid, 1001u);
  EXPECT_EQ(o.result_file, "/tmp/r.json");
  EXPECT_TRUE(o.json);
  EXPECT_TRUE(o.verbose);
  EXPECT_EQ(o.spec.argv, (Args{"sh", "-c", "exit 3"}));
}

TEST(RunCli, EqualsFormKeepsTheRestOfTheValue) {
  RunOptions o = parse_ok({"--rootfs=/a=b", "--env=K=V=W", "--", "true"});
  ASSERT_TRUE(o.spec.rootfs.has_value());
  EXPECT_EQ(*o.spec.rootfs, "/a=b");
  ASSERT_EQ(o.spec.env.size(), 1u);
  EXPECT_EQ(o.spec.env[0], (std::pair<std::string, std::string>{"K", "V=W"}));
}

TEST(RunCli, SpaceFormTakesANextArgThatLooksLikeAnOption) {
  RunOptions o = parse_ok({"--hostname", "--json", "true"});
  EXPECT_EQ(o.spec.hostname, "--json");
  EXPECT_FALSE(o.json);
  EXPECT_EQ(o.spec.argv, (Args{"true"}));
}

TEST(RunCli, LongVerbose) {
  EXPECT_TRUE(parse_ok({"--verbose", "true"}).verbose);
  EXPECT_TRUE(parse_ok({"-v", "true"}).verbose);
}

// -v counts: the steps; -vv (or -v given twice) the details too.
TEST(RunCli, VerboseIsRepeatable) {
  EXPECT_EQ(parse_ok({"true"}).verbose, 0);
  EXPECT_EQ(parse_ok({"-v", "true"}).verbose, 1);
  EXPECT_EQ(parse_ok({"-vv", "true"}).verbose, 2);
  EXPECT_EQ(parse_ok({"-v", "--verbose", "true"}).verbose, 2);
  EXPECT_EQ(parse_ok({"-v", "-v", "--", "true", "-v"}).verbose, 2);
  EXPECT_NE(parse_err({"-vvv", "true"}).to_string().find("-vvv"), std::string::npos);
  std::string u = run_usage();
  EXPECT_NE(u.find("-v, --verbose"), std::string::npos) << u;
  EXPECT_NE(u.find("  -vv "), std::string::npos) << u;
}

TEST(RunCli, LaterOptionWins) {
  RunOptions o =
      parse_ok({"--hostname", "a", "--hostname=b", "--disk", "2M", "--disk", "3M", "true"});
  EXPECT_EQ(o.spec.hostname, "b");
  EXPECT_EQ(o.spec.disk_bytes, 3ull << 20);
}

TEST(RunCli, UnknownOptionIsAnError) {
  Error e = parse_err({"--frobnicate", "--", "true"});
  EXPECT_EQ(e.path, "--frobnicate");
  EXPECT_EQ(parse_err({"-x", "true"}).path, "-x");
  EXPECT_EQ(parse_err({"--json", "--nope=1", "true"}).path, "--nope=1");
  EXPECT_FALSE(parse_run_args({"-", "true"}, fake_getenv).ok());
}

TEST(RunCli, MissingValueIsAnError) {
  for (const char* opt : {"--rootfs", "--disk", "--bind", "--workdir", "--hostname", "--uid",
                          "--gid", "--env", "--result-file"}) {
    Error e = parse_err({opt});
    EXPECT_EQ(e.path, opt);
    EXPECT_NE(e.detail.find("needs a value"), std::string::npos) << opt << ": " << e.to_string();
  }
}

TEST(RunCli, BadDiskIsAnError) {
  EXPECT_FALSE(parse_run_args({"--disk", "lots", "true"}, fake_getenv).ok());
  EXPECT_FALSE(parse_run_args({"--disk=12X", "true"}, fake_getenv).ok());
  EXPECT_FALSE(parse_run_args({"--disk", "-1", "true"}, fake_getenv).ok());
  EXPECT_FALSE(parse_run_args({"--disk=", "true"}, fake_getenv).ok());
}

// A value's error names the flag and the value, not only what the parser expected.
TEST(RunCli, ValueErrorsNameTheFlagAndTheValue) {
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--memory", "12Q"}, {"--time", "soon"}, {"--cpus", "x"}, {"--pids", "-3"}}) {
    Error e = parse_err({flag, value, "true"});
    EXPECT_EQ(e.path, flag) << e.to_string();
    EXPECT_NE(e.detail.find("'" + value + "'"), std::string::npos) << e.to_string();
  }
  // A bare word that is no keyword and no file lists the keywords.
  Error s = parse_err({"--seccomp", "defualt", "true"});
  EXPECT_EQ(s.path, "--seccomp");
  EXPECT_NE(s.detail.find("default, strict, unconfined"), std::string::npos) << s.to_string();
}

TEST(RunCli, IdRange) {
  EXPECT_FALSE(parse_run_args({"--uid", "70000", "true"}, fake_getenv).ok());
  EXPECT_FALSE(parse_run_args({"--gid=65536", "true"}, fake_getenv).ok());
  EXPECT_FALSE(parse_run_args({"--uid", "-1", "true"}, fake_getenv).ok());
  EXPECT_FALSE(parse_run_args({"--uid", "abc", "true"}, fake_getenv).ok());
  EXPECT_FALSE(parse_run_args({"--uid=", "true"}, fake_getenv).ok());
  RunOptions o = parse_ok({"--uid", "65535", "--gid", "0", "true"});
  EXPECT_EQ(o.spec.uid, 65535u);
  EXPECT_EQ(o.spec.gid, 0u);
}

// ---- --bind ----

spec::BindMount one_bind(const std::string& value) {
  RunOptions o = parse_ok({"--bind", value, "true"});
  EXPECT_EQ(o.spec.binds.size(), 1u) << value;
  return o.spec.binds.empty() ? spec::BindMount{} : o.spec.binds[0];
}

void expect_bind(const std::string& value, const std::string& src, const std::string& dst,
                 bool writable) {
  SCOPED_TRACE("--bind " + value);
  spec::BindMount b = one_bind(value);
  EXPECT_EQ(b.source, src);
  EXPECT_EQ(b.target, dst);
  EXPECT_EQ(b.writable, writable);
}

TEST(RunCliBind, SourceOnlyIsReadOnlyAtTheSamePath) {
  expect_bind("/srv", "/srv", "/srv", false);
}

TEST(RunCliBind, SourceAndTarget) {
  expect_bind("/srv/a:/data", "/srv/a", "/data", false);
}
TEST(RunCliBind, SourceTargetRw) {
  expect_bind("/srv/a:/data:rw", "/srv/a", "/data", true);
}
TEST(RunCliBind, SourceTargetRo) {
  expect_bind("/srv/a:/data:ro", "/srv/a", "/data", false);
}
TEST(RunCliBind, SourceAndModeOnly) {
  expect_bind("/srv/a:ro", "/srv/a", "/srv/a", false);
  expect_bind("/srv/a:rw", "/srv/a", "/srv/a", true);
}

TEST(RunCliBind, OwnerWords) {
  EXPECT_EQ(one_bind("/srv/a:/d:rw").owner, spec::BindOwner::kAuto);
  EXPECT_EQ(one_bind("/srv/a").owner, spec::BindOwner::kAuto);
  spec::BindMount b = one_bind("/srv/a:/d:rw,owner");
  EXPECT_TRUE(b.writable);
  EXPECT_EQ(b.target, "/d");
  EXPECT_EQ(b.owner, spec::BindOwner::kOwner);
  b = one_bind("/srv/a:rw,plain");
  EXPECT_TRUE(b.writable);
  EXPECT_EQ(b.target, "/srv/a");
  EXPECT_EQ(b.owner, spec::BindOwner::kPlain);
  b = one_bind("/srv/a:/d:ro,owner");
  EXPECT_FALSE(b.writable);
  EXPECT_EQ(b.owner, spec::BindOwner::kOwner);
  b = one_bind("/srv/a:ro,plain");
  EXPECT_FALSE(b.writable);
  EXPECT_EQ(b.owner, spec::BindOwner::kPlain);
  // Never set from the command line: the daemon's workspace only.
  EXPECT_FALSE(b.owned_by_sandbox);
}

TEST(RunCliBind, BadOwnerWordIsAnErrorThatListsTheWords) {
  for (const char* v : {"/srv:/d:rw,", "/srv:/d:rw,U", "/srv:/d:owner", "/srv:/d:rw,owner,plain",
                        "/srv:/d:,owner"}) {
    Error e = parse_err({"--bind", v, "true"});
    EXPECT_EQ(e.path, "--bind") << v;
    EXPECT_NE(e.to_string().find("ro or rw"), std::string::npos) << v << ": " << e.to_string();
  }
}

TEST(RunCliBind, BadModeIsAnError) {
  EXPECT_EQ(parse_err({"--bind", "/srv:/data:xx", "true"}).path, "--bind");
  EXPECT_EQ(parse_err({"--bind", "/srv:/data:RW", "true"}).path, "--bind");
}

TEST(RunCliBind, TooManyPartsIsAnError) {
  EXPECT_EQ(parse_err({"--bind", "a:b:c:d", "true"}).path, "--bind");
  EXPECT_EQ(parse_err({"--bind", "/a:/b:rw:", "true"}).path, "--bind");
}

TEST(RunCliBind, EmptySourceIsAnError) {
  EXPECT_EQ(parse_err({"--bind", "", "true"}).path, "--bind");
  EXPECT_EQ(parse_err({"--bind", ":/data", "true"}).path, "--bind");
  EXPECT_EQ(parse_err({"--bind=", "true"}).path, "--bind");
}

TEST(RunCliBind, RepeatedBindsKeepOrder) {
  RunOptions o = parse_ok({"--bind", "/a", "--bind=/b:/x:rw", "--bind", "/c:ro", "--", "true"});
  ASSERT_EQ(o.spec.binds.size(), 3u);
  EXPECT_EQ(o.spec.binds[0].source, "/a");
  EXPECT_EQ(o.spec.binds[1].target, "/x");
  EXPECT_TRUE(o.spec.binds[1].writable);
  EXPECT_EQ(o.spec.binds[2].source, "/c");
  EXPECT_FALSE(o.spec.binds[2].writable);
}

// ---- --env ----

TEST(RunCliEnv, KeyValue) {
  RunOptions o = parse_ok({"--env", "A=1", "--env=B=", "--", "true"});
  using KV = std::pair<std::string, std::string>;
  EXPECT_EQ(o.spec.env, (std::vector<KV>{{"A", "1"}, {"B", ""}}));
}

TEST(RunCliEnv, NameAloneCopiesFromCaller) {
  RunOptions o = parse_ok({"--env", "FROM_CALLER", "--env", "EMPTY_VAR", "true"});
  using KV = std::pair<std::string, std::string>;
  EXPECT_EQ(o.spec.env, (std::vector<KV>{{"FROM_CALLER", "caller value"}, {"EMPTY_VAR", ""}}));
}

TEST(RunCliEnv, NameAloneSkippedWhenCallerHasNone) {
  RunOptions o = parse_ok({"--env", "NOT_SET", "--env", "A=1", "true"});
  using KV = std::pair<std::string, std::string>;
  EXPECT_EQ(o.spec.env, (std::vector<KV>{{"A", "1"}}));
}

TEST(RunCliEnv, KeepsOrderAndRepeats) {
  RunOptions o = parse_ok({"--env", "A=1", "--env", "A=2", "--env", "FROM_CALLER", "true"});
  using KV = std::pair<std::string, std::string>;
  EXPECT_EQ(o.spec.env, (std::vector<KV>{{"A", "1"}, {"A", "2"}, {"FROM_CALLER", "caller value"}}));
}

// ---- --help ----

TEST(RunCli, HelpNeedsNoCommand) {
  for (const Args& args : {Args{"--help"}, Args{"-h"}, Args{"--json", "--help"}}) {
    auto r = parse_run_args(args, fake_getenv);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_TRUE(r->help);
  }
}

TEST(RunCli, HelpNotSetOtherwise) {
  EXPECT_FALSE(parse_ok({"true"}).help);
}

TEST(RunCli, HelpAfterDoubleDashBelongsToTheCommand) {
  RunOptions o = parse_ok({"--", "grep", "--help"});
  EXPECT_FALSE(o.help);
  EXPECT_EQ(o.spec.argv, (Args{"grep", "--help"}));
}

TEST(RunCli, UsageMentionsEveryOption) {
  std::string u = run_usage();
  for (const char* opt :
       {"--rootfs", "--disk", "--bind", "--workdir", "--uid", "--gid", "--hostname", "--env",
        "--json", "--result-file", "--verbose", "-vv", "--help"})
    EXPECT_NE(u.find(opt), std::string::npos) << opt;
}

// ---- switches and relative paths ----

TEST(RunCli, SwitchesRejectAValue) {
  EXPECT_NE(parse_err({"--json=false", "true"}).path.find("--json=false"), std::string::npos);
  parse_err({"--verbose=0", "true"});
}

TEST(RunCli, RelativeBindSourceIsTakenFromTheCallersDirectory) {
  auto r = parse_run_args({"--bind", "data:/d", "--bind", "/abs:/a", "true"}, fake_getenv,
                          "/home/me/project");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->spec.binds[0].source, "/home/me/project/data");
  EXPECT_EQ(r->spec.binds[1].source, "/abs");
  auto at_root = parse_run_args({"--bind", "data:/d", "true"}, fake_getenv, "/");
  ASSERT_TRUE(at_root.ok());
  EXPECT_EQ(at_root->spec.binds[0].source, "/data");
}

}  // namespace
}  // namespace cordon::cli
