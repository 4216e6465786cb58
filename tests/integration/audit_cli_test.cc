// `cordon audit` end to end: the defaults stop every attempt; a weakened setting is caught.
#include <gtest/gtest.h>

#include <set>

#include "harness.h"

namespace cordon::testing {
namespace {

TEST(AuditCli, DefaultsStopEveryAttempt) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"audit", "--json"});
  ASSERT_EQ(r.status, 0) << r.out.substr(0, 2000) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out.substr(0, 500);
  EXPECT_EQ(j["summary"]["escaped"], 0);
  EXPECT_EQ(j["summary"]["safe"], true);
  EXPECT_GT(j["summary"]["stopped"].get<int>(), 100);
  // Every category ran, the resources and the victim's included.
  std::set<std::string> categories;
  for (const auto& a : j["attempts"]) {
    categories.insert(a["category"].get<std::string>());
    if (a["category"] == "processes" && a["id"] == "victim-visible") {
      EXPECT_EQ(a["verdict"], "stopped") << a.dump();
    }
    EXPECT_FALSE(a["safe"].get<std::string>().empty());
  }
  for (const char* c : {"host-fs", "processes", "privilege", "kernel", "devices", "proc-sys",
                        "terminal", "fds-cwd", "proc-exe", "network", "resources",
                        "resources-output", "resources-cpu", "resources-wall", "resources-daemon"})
    EXPECT_TRUE(categories.count(c)) << c;
}

// Without the filter the kernel's surface is open: the audit says so and fails.
TEST(AuditCli, AWeakerSettingIsCaught) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"audit", "--json", "--no-resources", "--seccomp", "unconfined"});
  EXPECT_EQ(r.status, 1) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out.substr(0, 500);
  EXPECT_GT(j["summary"]["escaped"].get<int>(), 0);
  bool keyctl = false;
  for (const auto& a : j["attempts"])
    if (a["category"] == "kernel" && a["id"] == "keyctl") keyctl = a["verdict"] == "escaped";
  EXPECT_TRUE(keyctl) << "keyctl reached the kernel without the filter";
}

// Inside an image (the runnable one of image_fixtures.py, whose Entrypoint is `sh -c` and
// whose User is not root): the battery runs as the command itself, with its host facts, and
// every attempt that aims at the host is made, not skipped.
TEST(AuditCli, TheBatteryRunsInsideAnImage) {
  REQUIRE_ROOT();
  std::string busybox = find_busybox();
  if (busybox.empty()) GTEST_SKIP() << "needs busybox-static";
  TempDir dir;
  std::string fx = dir.path() + "/fx", store = dir.path() + "/store";
  ASSERT_EQ(run_program({"/usr/bin/mkdir", "-p", fx}).status, 0);
  ASSERT_EQ(run_program({"/usr/bin/python3", IMAGE_FIXTURES, fx, busybox}).status, 0);
  ASSERT_EQ(run_cordon({"image", "import", fx + "/app", "--store", store}).status, 0);
  RunOut r = run_cordon(
      {"audit", "--json", "--no-resources", "--image", "example.com/test/app:1", "--store", store});
  ASSERT_EQ(r.status, 0) << r.out.substr(0, 2000) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out.substr(0, 500);
  EXPECT_EQ(j["summary"]["escaped"], 0);
  for (const auto& a : j["attempts"]) {
    if ((a["category"] == "host-fs" && a["id"] == "read-host-secret") ||
        (a["category"] == "processes" && a["id"] == "victim-signal") ||
        (a["category"] == "network" && a["id"] == "host-tcp")) {
      EXPECT_EQ(a["verdict"], "stopped") << a.dump();
    }
  }
}

TEST(AuditCli, HelpAndUsage) {
  RunOut h = run_cordon({"audit", "--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("Usage: cordon audit"), std::string::npos);
  EXPECT_EQ(run_cordon({"audit", "--"}).status, 64);
  // Bad settings are told at once, as cordon run tells them, with run's status: not as a
  // victim sandbox that never appeared (125).
  struct Case {
    std::vector<std::string> args;
    int status;
    std::string names;
  };
  for (const Case& c : std::vector<Case>{
           {{"audit", "--bogus"}, 64, "--bogus"},
           {{"audit", "--memory", "12Q"}, 64, "--memory: '12Q'"},
           {{"audit", "--rootfs", "/nonexistent/rootfs"}, 66, "/nonexistent/rootfs"}}) {
    RunOut r = run_cordon(c.args);
    EXPECT_EQ(r.status, c.status) << c.args[1] << ": " << r.err;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("did not appear"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace cordon::testing
