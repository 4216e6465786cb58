// Every command of the static cordon (run, launcher, doctor, audit) parses with
// base/args.h's parse_args, and its --help is made from the same table: so the help
// lists every option the parser takes, and an unknown option is a usage error naming it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "audit/audit_cli.h"
#include "base/args.h"
#include "cli/doctor_cli.h"
#include "cli/launcher_cli.h"
#include "cli/run_cli.h"

namespace cordon {
namespace {

using Args = std::vector<std::string>;

const char* no_env(const char*) {
  return nullptr;
}

// "  --name VALUE" at the start of a line of help.
void expect_listed(const std::string& help, const std::vector<OptionSpec>& table) {
  ASSERT_FALSE(table.empty());
  for (const auto& o : table) {
    std::string line = "\n  ";
    if (!o.alias.empty()) line += std::string(o.alias) + ", ";
    line += std::string(o.name);
    if (!o.value.empty()) line += " " + std::string(o.value);
    EXPECT_NE(help.find(line), std::string::npos) << o.name << " missing from:\n" << help;
    EXPECT_FALSE(o.help.empty()) << o.name << " has no help";
  }
  EXPECT_NE(help.find("\n  -h, --help "), std::string::npos);
  EXPECT_EQ(help.rfind("Usage: cordon ", 0), 0u);
  EXPECT_NE(help.find("\nExit status: "), std::string::npos);
}

void expect_usage_error(const Error& e, const std::string& named) {
  EXPECT_EQ(e.step, "usage") << e.to_string();
  EXPECT_EQ(e.path, named) << e.to_string();
  EXPECT_NE(e.to_string().find(named), std::string::npos) << e.to_string();
}

const std::vector<OptionSpec>& run_table() {
  static const std::vector<OptionSpec> t = all_options(cli::run_option_groups());
  return t;
}

TEST(CliArgs, RunHelpListsEveryOptionOfItsTable) {
  expect_listed(cli::run_usage(), run_table());
}

TEST(CliArgs, RunTakesEveryOptionOfItsTable) {
  // Each option of the table is handled, not only listed: a good value parses.
  for (const auto& o : run_table()) {
    if (o.name == kHelpOption.name) continue;
    Args args = {std::string(o.name)};
    if (o.takes_value) {
      std::string v = "1";
      if (o.name == "--bind") v = "/src";
      if (o.name == "--caps" || o.name == "--seccomp") v = "default";
      if (o.name.find("io-") != std::string_view::npos) v = "/dev/vda:1M";
      if (o.name == "--env") v = "A=1";
      args.push_back(v);
    }
    // The image's own options go with --image.
    if (o.name == "--store" || o.name == "--entrypoint" || o.name == "--user")
      args.insert(args.end(), {"--image", "busybox"});
    args.push_back("true");
    auto r = cli::parse_run_args(args, no_env);
    EXPECT_TRUE(r.ok()) << o.name << ": " << r.error().to_string();
  }
}

TEST(CliArgs, RunImageOptions) {
  auto r = cli::parse_run_args({"--image", "busybox", "--entrypoint", "", "--user", "a:b"}, no_env);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(r->image);
  EXPECT_EQ(r->image->ref, "busybox");
  EXPECT_EQ(r->image->store, "/var/lib/cordon/store");
  EXPECT_EQ(r->image->entrypoint, std::vector<std::string>{});  // cleared, not unset
  EXPECT_EQ(r->image->user, "a:b");
  EXPECT_TRUE(r->spec.argv.empty());  // the image's Entrypoint and Cmd may be the command
  r = cli::parse_run_args({"--store", "s", "--image", "x", "--uid", "3", "true"}, no_env, "/w");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->image->store, "/w/s");
  EXPECT_TRUE(r->image->ids_given);
  for (Args bad : {Args{"--store", "/s", "true"}, Args{"--user", "app", "true"},
                   Args{"--image", "x", "--rootfs", "/r", "true"}}) {
    r = cli::parse_run_args(bad, no_env);
    ASSERT_FALSE(r.ok()) << bad[0];
    expect_usage_error(r.error(), "--image");
  }
}

TEST(CliArgs, RunUnknownOptionIsAUsageErrorNamingIt) {
  auto r = cli::parse_run_args({"--frobnicate", "true"}, no_env);
  ASSERT_FALSE(r.ok());
  expect_usage_error(r.error(), "--frobnicate");
}

TEST(CliArgs, LauncherHelpListsEveryOptionOfItsTable) {
  expect_listed(cli::launcher_usage(), cli::launcher_options());
}

// The usage line is made from the table too: it names every option but -h, --help.
TEST(CliArgs, LauncherUsageLineNamesEveryOptionOfItsTable) {
  std::string help = cli::launcher_usage();
  std::string first = help.substr(0, help.find('\n'));
  EXPECT_EQ(first,
            "Usage: cordon launcher [--socket PATH] [--mode MODE] [--netns-pool N] [--warm N]");
  for (const auto& o : cli::launcher_options()) {
    if (o.name == kHelpOption.name) continue;
    EXPECT_NE(first.find("[" + std::string(o.name)), std::string::npos) << o.name;
  }
  EXPECT_EQ(usage_line("cordon x", {{"--a", true, "N", "one"}, {"--b"}, kHelpOption}),
            "cordon x [--a N] [--b]");
}

TEST(CliArgs, LauncherParsesItsOptions) {
  auto r = cli::parse_launcher_args(
      {"--socket", "/tmp/l.sock", "--mode=0660", "--netns-pool", "0", "--warm=5"});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->socket_path, "/tmp/l.sock");
  EXPECT_EQ(r->mode, 0660u);
  EXPECT_EQ(r->netns_pool, 0u);
  EXPECT_EQ(r->warm, 5u);
  EXPECT_FALSE(r->help);
  auto d = cli::parse_launcher_args({});
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->socket_path.has_value());
  EXPECT_EQ(d->warm, 2u);
  EXPECT_TRUE(cli::parse_launcher_args({"-h"})->help);
}

TEST(CliArgs, LauncherBadInputIsAUsageErrorNamingIt) {
  auto r = cli::parse_launcher_args({"--frobnicate"});
  ASSERT_FALSE(r.ok());
  expect_usage_error(r.error(), "--frobnicate");
  for (const Args& bad : {Args{"--warm", "1025"}, Args{"--warm", "x"}, Args{"--mode", "0999"},
                          Args{"--mode", ""}, Args{"--netns-pool"}}) {
    auto b = cli::parse_launcher_args(bad);
    ASSERT_FALSE(b.ok()) << bad[0];
    expect_usage_error(b.error(), bad[0]);
  }
  auto extra = cli::parse_launcher_args({"extra"});
  ASSERT_FALSE(extra.ok());
  expect_usage_error(extra.error(), "extra");
}

TEST(CliArgs, DoctorHelpListsEveryOptionOfItsTable) {
  expect_listed(cli::doctor_usage(), cli::doctor_options());
}

TEST(CliArgs, DoctorUnknownOptionIsAUsageErrorNamingIt) {
  auto r = cli::parse_doctor_args({"--frobnicate"});
  ASSERT_FALSE(r.ok());
  expect_usage_error(r.error(), "--frobnicate");
  auto v = cli::parse_doctor_args({"--json=1"});
  ASSERT_FALSE(v.ok());
  expect_usage_error(v.error(), "--json=1");
}

TEST(CliArgs, AuditHelpListsEveryOptionOfItsTable) {
  expect_listed(audit::audit_usage(), audit::audit_options());
}

TEST(CliArgs, AuditPassesRunOptionsOnToRun) {
  auto r = audit::parse_audit_args({"--memory", "64M", "--json", "--output-limit=1M", "--no-cgroup",
                                    "--no-resources", "--env", "A=1"},
                                   run_table());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->json);
  EXPECT_FALSE(r->resources);
  EXPECT_EQ(r->run_options,
            (Args{"--memory", "64M", "--output-limit", "1M", "--no-cgroup", "--env", "A=1"}));
  // What the audit passes on, run's own parser takes.
  Args run_args = r->run_options;
  run_args.push_back("true");
  EXPECT_TRUE(cli::parse_run_args(run_args, no_env).ok());
  auto d = audit::parse_audit_args({}, run_table());
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->resources);
  EXPECT_TRUE(d->run_options.empty());
}

TEST(CliArgs, AuditUnknownOptionIsAUsageErrorNamingIt) {
  auto r = audit::parse_audit_args({"--frobnicate"}, run_table());
  ASSERT_FALSE(r.ok());
  expect_usage_error(r.error(), "--frobnicate");
  // The battery is the command: none is taken.
  for (const char* bad : {"--", "sh"}) {
    auto b = audit::parse_audit_args({bad}, run_table());
    ASSERT_FALSE(b.ok()) << bad;
    expect_usage_error(b.error(), bad);
  }
}

TEST(CliArgs, AnAliasIsParsedAsTheOptionsNameAndShownBesideIt) {
  const std::vector<OptionSpec> t = {{"--verbose", false, "", "log", "-v"},
                                     {"--output", true, "FILE", "to FILE", "-o"}};
  auto r = parse_args({"-v", "-o", "a", "--output=b", "--verbose"}, t);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  using Options = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(r->options,
            (Options{{"--verbose", ""}, {"--output", "a"}, {"--output", "b"}, {"--verbose", ""}}));
  EXPECT_EQ(options_text(t), "  -v, --verbose         log\n  -o, --output FILE     to FILE\n");
  auto bad = parse_args({"-v=1"}, t);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().path, "-v=1");
  EXPECT_TRUE(cli::parse_run_args({"-v", "true"}, no_env)->verbose);
}

TEST(CliArgs, HelpTextGroupsEachUnderItsTitle) {
  std::string h =
      help_text("cordon x", "Does x.\n",
                {{"A", {{"--a", true, "N", "one"}}}, {"B", {{"--b"}, kHelpOption}}}, "0 done.\n");
  EXPECT_EQ(h,
            "Usage: cordon x\n\nDoes x.\n\nA:\n  --a N                 one\n\nB:\n  --b\n"
            "  -h, --help            this help\n\nExit status: 0 done.\n");
}

}  // namespace
}  // namespace cordon
