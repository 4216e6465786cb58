// Jobs on images of the daemon's store, from outside: a real daemon whose image_store the
// test fills with `cordon image import` (tests/integration/image_fixtures.py's runnable
// image), tenants listing it and naming it in jobs over the API.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon_harness.h"
#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kApp = "example.com/test/app:1";

// A daemon with the runnable image in its store; false (and a skip or failure) otherwise.
bool import_app(Daemon& d) {
  std::string busybox = find_busybox();
  if (busybox.empty()) return false;
  std::string fx = d.dir() + "/fx";
  fs::create_directories(fx);
  auto made = run_program({"/usr/bin/python3", IMAGE_FIXTURES, fx, busybox});
  EXPECT_EQ(made.status, 0) << made.err;
  auto imported = run_cordon({"image", "import", fx + "/app", "--store", d.image_store()});
  EXPECT_EQ(imported.status, 0) << imported.err;
  return made.status == 0 && imported.status == 0;
}

std::string logs(Daemon& d, const std::string& tok, const std::string& id, bool err = false) {
  return d.call("GET", "/v1/jobs/" + id + "/logs" + (err ? "?stream=stderr" : ""), "", tok).body;
}

TEST(DaemonImages, ATenantListsTheStoresImagesAndRunsOne) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  // No store yet: no image, not an error.
  auto none = d.call("GET", "/v1/images", "", tok);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.json["images"], json::array());
  if (!import_app(d)) GTEST_SKIP() << "needs busybox-static";

  auto listed = d.call("GET", "/v1/images", "", tok);
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.json["images"].size(), 1u) << listed.body;
  json img = listed.json["images"][0];
  EXPECT_EQ(img["names"], json::array({kApp}));
  EXPECT_EQ(img["layers"], 3);
  EXPECT_EQ(img["platform"], "linux/amd64");
  std::string id = img["id"].get<std::string>();

  // No command: the image's Entrypoint and Cmd, as its User, with its Env; in /workspace.
  std::string j1 = d.submit(tok, {{"image", kApp}});
  json e1 = d.wait_ended(tok, j1);
  ASSERT_TRUE(e1.is_object());
  EXPECT_EQ(e1["state"], "succeeded") << logs(d, tok, j1, true) << e1.dump();
  EXPECT_EQ(logs(d, tok, j1), "cmd-ran\n1500\n1500\n/workspace\nhello from config\n/home/app\n");
  EXPECT_EQ(e1["image"], kApp);
  EXPECT_EQ(e1["image_id"], id);
  EXPECT_EQ(e1["command"], json::array());

  // A command replaces Cmd; the job's env wins over the image's; the image's user owns the
  // workspace it was given, and what it writes there comes back.
  std::string j2 = d.submit(
      tok, {{"image", id.substr(7, 12)},
            {"command", {"echo $GREETING; cat in.txt; id -u > out.txt; cat /srv/app/data"}},
            {"env", {{"GREETING", "from the job"}}},
            {"files", {{{"path", "in.txt"}, {"content", "input\n"}}}}});
  json e2 = d.wait_ended(tok, j2);
  ASSERT_TRUE(e2.is_object());
  EXPECT_EQ(e2["state"], "succeeded") << logs(d, tok, j2, true);
  EXPECT_EQ(logs(d, tok, j2), "from the job\ninput\nshipped with the image\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + j2 + "/files/out.txt", "", tok).body, "1500\n");
  EXPECT_EQ(e2["image_id"], id);

  // An image only an instance's pin names (as `cordon instance create` on the host leaves
  // one whose other names were removed): listed by its ID, no name shown, and run by it.
  ASSERT_EQ(run_cordon({"image", "tag", kApp, "instances.cordon.internal/web:pinned", "--store",
                        d.image_store()})
                .status,
            0);
  ASSERT_EQ(run_cordon({"image", "rm", kApp, "--store", d.image_store()}).status, 0);
  listed = d.call("GET", "/v1/images", "", tok);
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.json["images"].size(), 1u) << listed.body;
  EXPECT_EQ(listed.json["images"][0]["id"], id);
  EXPECT_EQ(listed.json["images"][0]["names"], json::array());
  EXPECT_EQ(listed.body.find("instances.cordon.internal"), std::string::npos) << listed.body;
  std::string j3 = d.submit(tok, {{"image", id}, {"command", {"echo by-id"}}});
  json e3 = d.wait_ended(tok, j3);
  ASSERT_TRUE(e3.is_object());
  EXPECT_EQ(e3["state"], "succeeded") << logs(d, tok, j3, true);
  EXPECT_EQ(logs(d, tok, j3), "by-id\n");
  EXPECT_EQ(e3["image_id"], id);
}

TEST(DaemonImages, AnUnknownImageIsRefusedAtSubmission) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  if (!import_app(d)) GTEST_SKIP() << "needs busybox-static";
  std::string tok = d.tenant("alpha");
  auto missing = d.call("POST", "/v1/jobs", json{{"image", "python:3.12"}}.dump(), tok);
  EXPECT_EQ(missing.status, 422) << missing.body;
  EXPECT_EQ(missing.json["error"]["field"], "image");
  EXPECT_NE(missing.json["error"]["message"].get<std::string>().find("python:3.12"),
            std::string::npos);
  // Nothing of the daemon's host shows in the refusal.
  EXPECT_EQ(missing.body.find(d.image_store()), std::string::npos) << missing.body;
  auto both = d.call("POST", "/v1/jobs",
                     json{{"image", kApp}, {"rootfs", "bb"}, {"command", {"true"}}}.dump(), tok);
  EXPECT_EQ(both.status, 400) << both.body;
  EXPECT_EQ(both.json["error"]["field"], "image");
  // Not a reference at all (400, before the store is looked at), or one of the names that
  // pin instances' images, which are not a tenant's.
  for (json bad_ref :
       {json(7), json("../../etc"), json("/etc/passwd"), json("a:b:c:d"), json("x@sha256:zz"),
        json("red/x\n"), json("instances.cordon.internal/web:pinned")}) {
    auto bad = d.call("POST", "/v1/jobs", json{{"image", bad_ref}}.dump(), tok);
    EXPECT_EQ(bad.status, 400) << bad_ref << bad.body;
    EXPECT_EQ(bad.json["error"]["field"], "image") << bad_ref;
  }
  // Without an image, a command is still required.
  auto no_cmd = d.call("POST", "/v1/jobs", json::object().dump(), tok);
  EXPECT_EQ(no_cmd.status, 400) << no_cmd.body;
  EXPECT_EQ(no_cmd.json["error"]["field"], "command");
  auto list = d.call("GET", "/v1/jobs", "", tok);
  EXPECT_EQ(list.json["jobs"], json::array());
}

}  // namespace
}  // namespace cordon::testing
