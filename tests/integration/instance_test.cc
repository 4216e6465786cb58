// cordon instance from outside: real instances (a btrfs disk in a loop-mounted file, a
// reserved slot, a pinned image) on the runnable image of tests/integration/
// image_fixtures.py, in a temp instances root and store. Checked from the host: the
// writable layer persists across runs and is the slot's on disk, the disk is a real quota,
// snapshots restore, a killed supervisor leaves an instance that starts again, and rm
// leaves nothing (no slot reservation, no pin, no mount).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kApp = "example.com/test/app:1";

class Instance : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root";
    std::string busybox = find_busybox();
    if (busybox.empty()) GTEST_SKIP() << "needs busybox-static";
    if (!fs::exists("/sbin/mkfs.btrfs") && !fs::exists("/usr/sbin/mkfs.btrfs"))
      GTEST_SKIP() << "needs mkfs.btrfs (btrfs-progs; scripts/setup.sh installs it)";
    std::string fx = dir_.path() + "/fx";
    store_ = dir_.path() + "/store";
    root_ = dir_.path() + "/instances";
    fs::create_directories(fx);
    auto made = run_program({"/usr/bin/python3", IMAGE_FIXTURES, fx, busybox});
    ASSERT_EQ(made.status, 0) << made.err;
    auto imported = run_cordon({"image", "import", fx + "/app", "--store", store_});
    ASSERT_EQ(imported.status, 0) << imported.err;
  }
  void TearDown() override {
    // Whatever a failing test left: stopped and removed, so no slot stays reserved.
    if (root_.empty() || !fs::exists(root_)) return;
    for (const auto& e : fs::directory_iterator(root_)) {
      std::string name = e.path().filename();
      inst({"stop", name, "--time", "5s"});
      inst({"rm", name});
    }
  }

  RunOut inst(std::vector<std::string> args) {
    // Before any "--": what follows it is create's COMMAND.
    args.insert(args.begin(), {"instance", "--instances", root_});
    return run_cordon(args);
  }
  json info(const std::string& name) {
    auto r = inst({"info", name, "--json"});
    EXPECT_EQ(r.status, 0) << r.err;
    return json::parse(r.out);
  }
  std::string console(const std::string& name) { return inst({"console", name}).out; }
  // Waits until the console shows `text` (the instance's command reached that point).
  bool console_has(const std::string& name, const std::string& text) {
    return wait_until(60000, [&] { return console(name).find(text) != std::string::npos; });
  }

  TempDir dir_;
  std::string store_, root_;
};

size_t occurrences(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// The command of the test instances: counts its runs in the writable layer, says so, and
// lives until stopped.
const char* kCounting =
    "echo run >> /srv/app/runs; echo runs=$(wc -l < /srv/app/runs) uid=$(id -u);"
    "while :; do sleep 0.1; done";

TEST_F(Instance, ItsWritableLayerAndSlotLastAcrossRuns) {
  auto c = inst({"create", "web", "--image", kApp, "--store", store_, "--disk", "300M", "--json",
                 "--", kCounting});
  ASSERT_EQ(c.status, 0) << c.err;
  json created = json::parse(c.out);
  EXPECT_EQ(created["state"], "stopped");
  uint64_t slot = created["slot_base"].get<uint64_t>();
  // The slot is reserved (no one-shot sandbox takes it) and the image pinned in the store.
  EXPECT_TRUE(fs::exists("/var/lib/cordon/reserved-slots/" + std::to_string(slot)));
  auto images = run_cordon({"image", "ls", "--store", store_, "--json"});
  EXPECT_NE(images.out.find("instances.cordon.internal/web:pinned"), std::string::npos)
      << images.out;

  ASSERT_EQ(inst({"start", "web"}).status, 0);
  EXPECT_EQ(info("web")["state"], "running");
  ASSERT_TRUE(console_has("web", "runs=1 uid=1500")) << console("web");
  // On the host, what the instance wrote is its slot's: the image user 1500 is slot+1500.
  struct stat st {};
  ASSERT_EQ(::stat((root_ + "/web/disk/layer/upper/srv/app/runs").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, slot + 1500);
  EXPECT_EQ(st.st_gid, slot + 1500);

  ASSERT_EQ(inst({"stop", "web", "--time", "10s"}).status, 0);
  EXPECT_EQ(info("web")["state"], "stopped");
  ASSERT_EQ(inst({"start", "web"}).status, 0);
  ASSERT_TRUE(console_has("web", "runs=2 uid=1500")) << console("web");
  EXPECT_EQ(info("web")["slot_base"], slot);

  // rm of a running instance is refused; stopped, it leaves nothing behind.
  EXPECT_EQ(inst({"rm", "web"}).status, 75);
  ASSERT_EQ(inst({"stop", "web"}).status, 0);
  ASSERT_EQ(inst({"rm", "web"}).status, 0);
  EXPECT_FALSE(fs::exists(root_ + "/web"));
  EXPECT_FALSE(fs::exists("/var/lib/cordon/reserved-slots/" + std::to_string(slot)));
  images = run_cordon({"image", "ls", "--store", store_, "--json"});
  EXPECT_EQ(images.out.find("instances.cordon.internal/web:pinned"), std::string::npos);
  EXPECT_EQ(host_mountinfo().find(root_), std::string::npos);
}

TEST_F(Instance, ItsDiskIsARealQuota) {
  ASSERT_EQ(inst({"create", "full", "--image", kApp, "--store", store_, "--disk", "300M", "--",
                  "dd if=/dev/zero of=/srv/app/big bs=1M count=400 2>&1;"
                  "echo dd-done; while :; do sleep 0.1; done"})
                .status,
            0);
  ASSERT_EQ(inst({"start", "full"}).status, 0);
  ASSERT_TRUE(console_has("full", "dd-done")) << console("full");
  EXPECT_NE(console("full").find("No space left on device"), std::string::npos) << console("full");
  // The host's filesystem is untouched: the instance's file is its disk's, at most its size.
  EXPECT_LE(fs::file_size(root_ + "/full/disk.img"), 300ull << 20);
}

TEST_F(Instance, ASnapshotRestoresTheWritableLayer) {
  ASSERT_EQ(inst({"create", "snap", "--image", kApp, "--store", store_, "--", kCounting}).status,
            0);
  ASSERT_EQ(inst({"start", "snap"}).status, 0);
  ASSERT_TRUE(console_has("snap", "runs=1"));
  // Snapshots are of a stopped instance.
  EXPECT_EQ(inst({"snapshot", "create", "snap", "one"}).status, 75);
  ASSERT_EQ(inst({"stop", "snap"}).status, 0);
  auto made = inst({"snapshot", "create", "snap", "one"});
  ASSERT_EQ(made.status, 0) << made.err;
  EXPECT_EQ(inst({"snapshot", "create", "snap", "one"}).status, 73);  // the name is taken
  ASSERT_EQ(inst({"start", "snap"}).status, 0);
  ASSERT_TRUE(console_has("snap", "runs=2"));
  ASSERT_EQ(inst({"stop", "snap"}).status, 0);
  auto restored = inst({"snapshot", "restore", "snap", "one"});
  ASSERT_EQ(restored.status, 0) << restored.err;
  // Back to one run: the next start is the second again.
  ASSERT_EQ(inst({"start", "snap"}).status, 0);
  ASSERT_TRUE(wait_until(60000, [&] { return occurrences(console("snap"), "runs=2") == 2; }))
      << console("snap");
  EXPECT_EQ(occurrences(console("snap"), "runs=3"), 0u);
  ASSERT_EQ(inst({"stop", "snap"}).status, 0);
  auto listed = inst({"snapshot", "ls", "snap", "--json"});
  EXPECT_EQ(json::parse(listed.out), json::array({"one"}));
  EXPECT_EQ(inst({"snapshot", "restore", "snap", "none"}).status, 66);
  ASSERT_EQ(inst({"snapshot", "rm", "snap", "one"}).status, 0);
  EXPECT_EQ(json::parse(inst({"snapshot", "ls", "snap", "--json"}).out), json::array());
}

TEST_F(Instance, AKilledSupervisorLeavesAnInstanceThatStartsAgain) {
  ASSERT_EQ(inst({"create", "crash", "--image", kApp, "--store", store_, "--", kCounting}).status,
            0);
  ASSERT_EQ(inst({"start", "crash"}).status, 0);
  ASSERT_TRUE(console_has("crash", "runs=1"));
  pid_t sup = info("crash")["supervisor_pid"].get<pid_t>();
  ASSERT_GT(sup, 0);
  ASSERT_EQ(::kill(sup, SIGKILL), 0);
  ASSERT_TRUE(wait_until(30000, [&] { return info("crash")["state"] == "stopped"; }));
  EXPECT_EQ(info("crash")["autostart"], true);  // it was not stopped: autostart restarts it
  auto again = inst({"autostart"});
  ASSERT_EQ(again.status, 0) << again.err;
  ASSERT_TRUE(console_has("crash", "runs=2")) << console("crash");
}

TEST_F(Instance, MistakesAreToldClearly) {
  EXPECT_EQ(inst({"create", "Bad_Name", "--image", kApp, "--store", store_}).status, 64);
  EXPECT_EQ(inst({"create", "x", "--image", "nope", "--store", store_}).status, 66);
  EXPECT_EQ(inst({"create", "x", "--image", kApp, "--store", store_, "--disk", "10M"}).status, 64);
  EXPECT_FALSE(fs::exists(root_ + "/x"));
  EXPECT_EQ(inst({"start", "ghost"}).status, 66);
  EXPECT_EQ(inst({"info", "ghost"}).status, 66);
  ASSERT_EQ(inst({"create", "x", "--image", kApp, "--store", store_, "--", kCounting}).status, 0);
  EXPECT_EQ(inst({"create", "x", "--image", kApp, "--store", store_}).status, 73);
}

}  // namespace
}  // namespace cordon::testing
