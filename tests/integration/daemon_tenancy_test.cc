// What one tenant can learn of others through the daemon's API, from outside: a name
// never reaches another tenant's record. A real daemon, real HTTP.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cordon::testing
