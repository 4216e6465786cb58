// cordon instance from outside: real instances (a btrfs disk in a loop-mounted file, a
// reserved slot, a pinned image) on the runnable image of tests/integration/
// image_fixtures.py, in a temp instances root and store. Checked from the host: the
// writable layer persists across runs and is the slot's on disk, the disk is a real quota,
// snapshots restore, a killed supervisor leaves an instance that starts again, and rm
// leaves nothing (no slot reservation, no pin, no mount).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"
#include "image_fixture.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kApp = "example.com/test/app:1";

class Instance : public ImageFixtureTest {
 protected:
  void SetUp() override {
    if (!fs::exists("/sbin/mkfs.btrfs") && !fs::exists("/usr/sbin/mkfs.btrfs"))
      GTEST_SKIP() << "needs mkfs.btrfs (btrfs-progs; scripts/setup.sh installs it)";
    ImageFixtureTest::SetUp();
    if (stopped()) return;
    root_ = dir_.path() + "/instances";
    import({"app"});
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

  std::string root_;
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

// exec and shell enter the running instance: its files, its hostname, its user.
TEST_F(Instance, ExecAndShellEnterTheRunningInstance) {
  // Created with a relative store and instances root, as a person in that directory types
  // them: both are the caller's directory's, and the instance starts from anywhere after.
  auto c = run_program({cordon_binary(), "instance", "--instances", "instances", "create", "ex",
                        "--image", kApp, "--store", "store", "--", kCounting},
                       -1, -1, -1, dir_.path());
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(inst({"exec", "ex", "--", "true"}).status, 66);  // not running
  ASSERT_EQ(inst({"start", "ex"}).status, 0);
  ASSERT_TRUE(console_has("ex", "runs=1"));
  auto r = inst({"exec", "ex", "--", "sh", "-c",
                 "cat /srv/app/runs; cat /proc/sys/kernel/hostname; id -u; exit 7"});
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_EQ(r.out, "run\nex\n1500\n");
  r = inst({"exec", "ex", "--user", "0", "--", "id", "-u"});
  EXPECT_EQ(r.out, "0\n") << r.err;
  // shell: a login shell on a terminal of the instance's own; here fed from a file.
  std::string script = dir_.path() + "/shell-input";
  std::ofstream(script) << "echo marker-$((40 + 2)); tty; exit 3\n";
  int in = ::open(script.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(in, 0);
  auto sh = run_program({cordon_binary(), "instance", "--instances", root_, "shell", "ex"}, in);
  ::close(in);
  EXPECT_EQ(sh.status, 3) << sh.err;
  EXPECT_NE(sh.out.find("marker-42"), std::string::npos) << sh.out;
  EXPECT_NE(sh.out.find("/dev/pts/"), std::string::npos) << sh.out;
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

TEST_F(Instance, AKilledSupervisorOrAHostRebootLeavesAnInstanceThatStartsAgain) {
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

  // A host reboot, as the instance sees it: no supervisor, no sandbox, and its disk no
  // longer mounted (nor its loop device attached). autostart brings it back on the same
  // writable layer and slot.
  uint64_t slot = info("crash")["slot_base"].get<uint64_t>();
  sup = info("crash")["supervisor_pid"].get<pid_t>();
  ASSERT_GT(sup, 0);
  ASSERT_EQ(::kill(sup, SIGKILL), 0);
  ASSERT_TRUE(wait_until(30000, [&] { return info("crash")["state"] == "stopped"; }));
  std::string disk = root_ + "/crash/disk";
  ASSERT_EQ(::umount2(disk.c_str(), MNT_DETACH), 0) << disk;
  EXPECT_EQ(host_mountinfo().find(" " + disk + " "), std::string::npos);
  again = inst({"autostart"});
  ASSERT_EQ(again.status, 0) << again.err;
  ASSERT_TRUE(console_has("crash", "runs=3")) << console("crash");
  EXPECT_EQ(info("crash")["slot_base"], slot);
  EXPECT_EQ(info("crash")["state"], "running");
}

// Its output is not bounded by a kill: the console log starts afresh past 16M (the full
// one kept as console.log.1), and the instance runs on.
TEST_F(Instance, ItsConsoleIsCappedNotKilled) {
  ASSERT_EQ(inst({"create", "loud", "--image", kApp, "--store", store_, "--",
                  "dd if=/dev/zero bs=1M count=80 2>/dev/null | tr '\\0' x; echo; echo "
                  "loud-done; while :; do sleep 0.1; done"})
                .status,
            0);
  ASSERT_EQ(inst({"start", "loud"}).status, 0);
  ASSERT_TRUE(console_has("loud", "loud-done"));
  EXPECT_EQ(info("loud")["state"], "running");
  EXPECT_LE(fs::file_size(root_ + "/loud/console.log"), 16u << 20);
  EXPECT_LE(fs::file_size(root_ + "/loud/console.log.1"), 16u << 20);
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
  // A command that ends at once: start says it did not stay up (or, when its sandbox was
  // seen up first, the instance is soon stopped); its last result says how it ended.
  ASSERT_EQ(inst({"create", "quick", "--image", kApp, "--store", store_, "--", "exit 3"}).status,
            0);
  auto q = inst({"start", "quick"});
  if (q.status != 0) {
    EXPECT_EQ(q.status, 125);
    EXPECT_NE(q.err.find("did not stay up"), std::string::npos) << q.err;
  }
  ASSERT_TRUE(wait_until(30000, [&] { return info("quick")["state"] == "stopped"; }));
  auto last = json::parse(read_file(root_ + "/quick/last-result.json"));
  EXPECT_EQ(last["exit_status"], 3) << last.dump();
}

}  // namespace
}  // namespace cordon::testing
