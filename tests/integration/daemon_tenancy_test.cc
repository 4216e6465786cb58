// What one tenant can learn of others and of the host through the daemon's API, from
// outside: a name never reaches another tenant's record, page cursors are opaque and good
// for their own tenant only, and a tenant's view of a job holds no host fact (the
// operator's does). A real daemon, real HTTP.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "daemon_harness.h"
#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;

TEST(DaemonTenancy, NamesNeverTakeAnIdsFormSoNoRouteReachesAnotherTenant) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  auto alpha = d.call("POST", "/v1/tenants", R"({"name":"alpha"})");
  ASSERT_EQ(alpha.status, 201) << alpha.body;
  std::string alpha_id = alpha.json["id"];
  ASSERT_EQ(alpha_id.rfind("t-", 0), 0u);
  // A name equal to alpha's id, at create and at rename: refused on "name".
  auto twin = d.call("POST", "/v1/tenants", json{{"name", alpha_id}}.dump());
  EXPECT_EQ(twin.status, 400) << twin.body;
  EXPECT_EQ(twin.json["error"]["field"], "name");
  ASSERT_EQ(d.call("POST", "/v1/tenants", R"({"name":"beta"})").status, 201);
  auto renamed = d.call("PATCH", "/v1/tenants/beta", json{{"name", alpha_id}}.dump());
  EXPECT_EQ(renamed.status, 400) << renamed.body;
  EXPECT_EQ(renamed.json["error"]["field"], "name");
  // Nor any name of an id's form, existing id or not.
  EXPECT_EQ(d.call("POST", "/v1/tenants", R"({"name":"t-0000000000000000"})").status, 400);
  EXPECT_EQ(d.call("POST", "/v1/tenants", R"({"name":"t-gamma"})").status, 400);
  EXPECT_EQ(d.call("PATCH", "/v1/tenants/beta", R"({"name":"t-beta"})").status, 400);
  // So every by-name and by-id route reaches the tenant it names: beta stays beta, and a
  // token issued through alpha's id is alpha's.
  json tenants = d.call("GET", "/v1/tenants").json["tenants"];
  ASSERT_EQ(tenants.size(), 2u);
  for (const auto& t : tenants)
    EXPECT_EQ(t["name"].get<std::string>().rfind("t-", 0), std::string::npos);
  EXPECT_EQ(d.call("GET", "/v1/tenants/" + alpha_id).json["name"], "alpha");
  EXPECT_EQ(d.call("GET", "/v1/tenants/beta").json["name"], "beta");
  auto token = d.call("POST", "/v1/tenants/" + alpha_id + "/tokens");
  ASSERT_EQ(token.status, 201) << token.body;
  EXPECT_EQ(token.json["tenant"], "alpha");
  std::string tok = token.json["token"];
  EXPECT_EQ(d.call("GET", "/v1/tenants/alpha", "", tok).status, 200);
  EXPECT_EQ(d.call("GET", "/v1/tenants/" + alpha_id, "", tok).status, 200);
  EXPECT_EQ(d.call("GET", "/v1/tenants/beta", "", tok).status, 404);
  // A name that is free and of a name's form still renames.
  EXPECT_EQ(d.call("PATCH", "/v1/tenants/beta", R"({"name":"gamma"})").json["name"], "gamma");
}

// Every job id of the caller's listing, following "next" from page to page.
std::vector<std::string> all_pages(Daemon& d, const std::string& token, int limit,
                                   std::vector<std::string>* cursors) {
  std::vector<std::string> ids;
  std::string after;
  for (int page = 0; page < 100; ++page) {
    auto r = d.call("GET", "/v1/jobs?limit=" + std::to_string(limit) + after, "", token);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    for (const auto& j : r.json["jobs"]) ids.push_back(j["id"]);
    if (r.json["next"].is_null()) break;
    std::string next = r.json["next"];
    cursors->push_back(next);
    after = "&after=" + next;
  }
  return ids;
}

TEST(DaemonTenancy, PageCursorsAreOpaqueAndGoodForTheirTenantOnly) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string a = d.tenant("alpha");
  std::string b = d.tenant("beta");
  // Interleaved: each tenant's jobs are every other job of the daemon.
  std::vector<std::string> mine[2];
  for (int i = 0; i < 4; ++i) {
    mine[0].push_back(d.submit(a, json{{"command", {"true"}}}));
    mine[1].push_back(d.submit(b, json{{"command", {"true"}}}));
  }
  // Paging one job at a time gives each tenant exactly its own jobs, in order.
  std::vector<std::string> cursors[2];
  EXPECT_EQ(all_pages(d, a, 1, &cursors[0]), mine[0]);
  EXPECT_EQ(all_pages(d, b, 1, &cursors[1]), mine[1]);
  ASSERT_EQ(cursors[0].size(), 3u);
  ASSERT_EQ(cursors[1].size(), 3u);
  for (const auto& list : cursors)
    for (const auto& c : list) {
      // Not a row number, nor anything that reads as one.
      EXPECT_FALSE(std::all_of(c.begin(), c.end(), ::isdigit)) << c;
      EXPECT_GE(c.size(), 32u) << c;
    }
  // One tenant's cursor is nothing for another, nor for the operator: 400 on "after".
  for (const auto& c : cursors[0]) {
    auto theirs = d.call("GET", "/v1/jobs?limit=1&after=" + c, "", b);
    EXPECT_EQ(theirs.status, 400) << theirs.body;
    EXPECT_EQ(theirs.json["error"]["field"], "after");
    EXPECT_EQ(d.call("GET", "/v1/jobs?limit=1&after=" + c).status, 400);
  }
  // A made-up or altered cursor, a bare number (what a row number would be): 400.
  std::string altered = cursors[0][0];
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {altered, std::string("1"), std::string("3"), std::string("x")})
    EXPECT_EQ(d.call("GET", "/v1/jobs?limit=1&after=" + bad, "", a).status, 400) << bad;
  // The operator pages through everything with its own cursors.
  std::vector<std::string> op_cursors;
  EXPECT_EQ(all_pages(d, "", 3, &op_cursors).size(), 8u);
  EXPECT_EQ(op_cursors.size(), 2u);
  EXPECT_EQ(d.call("GET", "/v1/jobs?limit=1&after=" + op_cursors[0], "", a).status, 400);
  // A cursor outlives a restart of the daemon (its key is kept with the state).
  ASSERT_EQ(d.stop(), 0);
  ASSERT_TRUE(d.start()) << d.log();
  auto again = d.call("GET", "/v1/jobs?limit=10&after=" + cursors[0][0], "", a);
  ASSERT_EQ(again.status, 200) << again.body;
  ASSERT_EQ(again.json["jobs"].size(), 3u);
  EXPECT_EQ(again.json["jobs"][0]["id"], mine[0][1]);
}

TEST(DaemonTenancy, TenantsSeeNoHostFactsTheOperatorDoes) {
  REQUIRE_ROOT();
  Daemon d({"--max-running", "1"});
  (void)::mkdir((d.dir() + "/images").c_str(), 0755);  // the harness may have made it
  ASSERT_EQ(::mkdir((d.dir() + "/images/nope").c_str(), 0755), 0);
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  std::string ran = d.submit(tok, sh_job("echo hi > out.txt"));
  // An image that was there at submission and is gone at the start (the job waits
  // behind another meanwhile): the run's error names where it looked on the host.
  std::string blocker = d.submit(tok, sh_job("sleep 1000." + std::to_string(::getpid())));
  std::string missing = d.submit(tok, {{"command", {"true"}}, {"rootfs", "nope"}});
  ASSERT_EQ(::rmdir((d.dir() + "/images/nope").c_str()), 0);
  EXPECT_EQ(d.call("POST", "/v1/jobs/" + blocker + "/cancel", "", tok).status, 202);
  ASSERT_TRUE(d.wait_ended(tok, ran).is_object());
  ASSERT_TRUE(d.wait_ended(tok, missing).is_object());
  // One that is not there at submission: refused at once, naming no host path either.
  auto refused =
      d.call("POST", "/v1/jobs", json{{"command", {"true"}}, {"rootfs", "nope"}}.dump(), tok);
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(refused.json["error"]["field"], "rootfs");
  EXPECT_EQ(refused.body.find(d.dir()), std::string::npos) << refused.body;
  // Every route that answers a tenant with jobs, as its raw body: no host path (the test's
  // folder holds the daemon's state, run and images folders), no host UID or GID base.
  std::vector<std::string> bodies = {
      d.call("GET", "/v1/jobs/" + ran, "", tok).body,
      d.call("GET", "/v1/jobs/" + missing, "", tok).body,
      d.call("GET", "/v1/jobs", "", tok).body,
      d.call("GET", "/v1/jobs?state=failed", "", tok).body,
  };
  for (const auto& body : bodies) {
    EXPECT_EQ(body.find(d.dir()), std::string::npos) << body;
    EXPECT_EQ(body.find("uid_base"), std::string::npos) << body;
    EXPECT_EQ(body.find("gid_base"), std::string::npos) << body;
    EXPECT_FALSE(std::regex_search(body, std::regex("cordon-[0-9]"))) << body;  // a cgroup's name
  }
  json mine = d.call("GET", "/v1/jobs/" + ran, "", tok).json;
  ASSERT_TRUE(mine["result"].is_object()) << mine.dump();
  EXPECT_FALSE(mine["result"].contains("id_slot"));
  EXPECT_EQ(mine["result"]["exit_status"], 0);  // what is the tenant's stays
  EXPECT_EQ(mine["result"]["isolation"]["workdir"], "/workspace");
  if (mine["result"]["cgroup"].is_object()) {
    EXPECT_FALSE(mine["result"]["cgroup"].contains("paths"));
    EXPECT_TRUE(mine["result"]["cgroup"]["version"].is_number());
  }
  json failed = d.call("GET", "/v1/jobs/" + missing, "", tok).json;
  ASSERT_EQ(failed["state"], "failed");
  ASSERT_TRUE(failed["result"]["error"].is_string()) << failed.dump();
  EXPECT_NE(failed["result"]["error"].get<std::string>().find("nope"), std::string::npos)
      << failed["result"]["error"];  // still says what was missing
  // The operator sees it all: the slot, the cgroup's paths, where the image was looked for.
  json full = d.call("GET", "/v1/jobs/" + ran).json;
  EXPECT_GE(full["result"]["id_slot"]["uid_base"].get<uint64_t>(), 65536u);
  EXPECT_GE(full["result"]["id_slot"]["gid_base"].get<uint64_t>(), 65536u);
  if (full["result"]["cgroup"].is_object()) {
    EXPECT_FALSE(full["result"]["cgroup"]["paths"].empty());
  }
  std::string op_error = d.call("GET", "/v1/jobs/" + missing).json["result"]["error"];
  EXPECT_NE(op_error.find(d.dir() + "/images"), std::string::npos) << op_error;
  EXPECT_NE(d.call("GET", "/v1/jobs").body.find("uid_base"), std::string::npos);
}

}  // namespace
}  // namespace cordon::testing
