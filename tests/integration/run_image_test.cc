// `cordon run --image` from outside: the real cordon against a real store in a temp dir,
// with the images tests/integration/image_fixtures.py writes imported by cordon image.
// What is checked from the host: the config applies as Docker applies it, the layers on
// disk are left exactly as unpacked while sandboxes change their own view of them, two
// sandboxes on the same layers never see each other's changes, and prune leaves a layer
// alone while a sandbox uses it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "image_fixture.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kApp = "example.com/test/app:1";

class RunImage : public ImageFixtureTest {
 protected:
  void SetUp() override {
    ImageFixtureTest::SetUp();
    if (!stopped()) import({"app", "oci"});
  }

  RunOut run(std::vector<std::string> options, std::vector<std::string> command = {}) {
    std::vector<std::string> args = {"run", "--store", store_};
    args.insert(args.end(), options.begin(), options.end());
    if (!command.empty()) args.push_back("--");
    args.insert(args.end(), command.begin(), command.end());
    return run_cordon(args);
  }

  json inspect(const std::string& ref) {
    auto r = run_cordon({"image", "inspect", ref, "--store", store_});
    EXPECT_EQ(r.status, 0) << r.err;
    return json::parse(r.out);
  }

  // Every entry under the image's layer directories, as the host sees it: path, type
  // and mode, owner, size, and contents of regular files.
  std::map<std::string, std::string> layers_on_disk(const std::string& ref) {
    std::map<std::string, std::string> out;
    const json img = inspect(ref);  // held: a range-for over a temporary's member dangles
    for (const auto& dir : img["layer_dirs"]) {
      std::string root = dir.get<std::string>();
      for (auto it = fs::recursive_directory_iterator(root); it != fs::end(it); ++it) {
        struct stat st {};
        EXPECT_EQ(::lstat(it->path().c_str(), &st), 0);
        std::ostringstream v;
        v << std::oct << st.st_mode << std::dec << " " << st.st_uid << ":" << st.st_gid << " "
          << st.st_size;
        if (S_ISREG(st.st_mode)) v << " " << read_file(it->path());
        out[it->path().string()] = v.str();
      }
    }
    return out;
  }
};

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

TEST_F(RunImage, TheConfigAppliesAsDockerAppliesIt) {
  // No command: Entrypoint + Cmd, as the image's User, in its WorkingDir, with its Env and
  // the HOME of its user's passwd entry.
  auto r = run({"--image", kApp});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"cmd-ran", "1500", "1500", "/srv/app",
                                                    "hello from config", "/home/app"}));
  // A command replaces Cmd (the Entrypoint `sh -c` stays); --env wins over the image's.
  r = run({"--image", kApp, "--env", "GREETING=mine"},
          {"echo $GREETING; id -un; env | grep -c ^EMPTY=$"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"mine", "app", "1"}));
  // --user by names of the image's /etc/passwd and /etc/group; --uid wins over User.
  r = run({"--image", kApp, "--user", "root:staff"}, {"id -u; id -g"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"0", "50"}));
  r = run({"--image", kApp, "--uid", "7", "--gid", "8"}, {"id -u; id -g"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"7", "8"}));
  // --entrypoint replaces the Entrypoint and drops Cmd.
  r = run({"--image", kApp, "--entrypoint", "/bin/echo"}, {"a", "b"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "a b\n");
  r = run({"--image", kApp, "--entrypoint", "/bin/echo"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "\n");
  // An image without a WorkingDir starts in /, as under Docker; its PATH is the image's.
  r = run({"--image", "example.com/test/oci:1"}, {"sh", "-c", "pwd; echo $PATH"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"/", "/bin"}));
}

TEST_F(RunImage, TheResultNamesTheImageAndItsLayers) {
  auto r = run({"--image", kApp, "--json"}, {"true"});
  ASSERT_EQ(r.status, 0) << r.err;
  json root = json::parse(r.out)["isolation"]["root"];
  json img = inspect(kApp);
  EXPECT_EQ(root["mode"], "image");
  EXPECT_EQ(root["image"], kApp);
  EXPECT_EQ(root["id"], img["id"]);
  EXPECT_EQ(root["layers"], img["layer_dirs"]);
  EXPECT_EQ(root["layers"].size(), 3u);
  EXPECT_EQ(root["idmapped"], true);
}

TEST_F(RunImage, MistakesAreToldBeforeAnythingStarts) {
  auto r = run({"--image", "no-such-image"});
  EXPECT_EQ(r.status, 66);
  EXPECT_NE(r.err.find("no such image"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("docker.io/library/no-such-image:latest"), std::string::npos) << r.err;
  r = run_cordon({"run", "--image", kApp, "--store", dir_.path() + "/none"});
  EXPECT_EQ(r.status, 66);
  EXPECT_NE(r.err.find(dir_.path() + "/none"), std::string::npos) << r.err;
  r = run({"--image", kApp, "--user", "ghost"});
  EXPECT_EQ(r.status, 66);
  EXPECT_NE(r.err.find("ghost: no such user in the image's /etc/passwd"), std::string::npos)
      << r.err;
  r = run({"--image", kApp, "--user", "70000"});
  EXPECT_EQ(r.status, 64);
  EXPECT_NE(r.err.find("the highest ID a sandbox has"), std::string::npos) << r.err;
  r = run({"--image", kApp, "--rootfs", "/"});
  EXPECT_EQ(r.status, 64);
  r = run({"--user", "app"}, {"true"});
  EXPECT_EQ(r.status, 64);
  EXPECT_NE(r.err.find("--image"), std::string::npos) << r.err;
  // Nothing ran: the layers are as they were.
  EXPECT_FALSE(layers_on_disk(kApp).empty());
}

// What a sandbox changes in its image is its own: the layers on disk stay as unpacked
// (files of the image's owners, untouched), and a second sandbox on the same layers at the
// same time sees the image, not the first one's changes.
TEST_F(RunImage, TwoSandboxesOnTheSameLayersNeverSeeEachOthersChanges) {
  auto before = layers_on_disk(kApp);
  ASSERT_FALSE(before.empty());
  std::string sync = dir_.path() + "/sync";
  fs::create_directories(sync);
  ASSERT_EQ(::chmod(sync.c_str(), 0777), 0);
  // A: root of its sandbox, changes everything it can of the image, then holds on until B
  // has looked.
  pid_t a = spawn_cordon(
      {"run", "--store", store_, "--image", kApp, "--user", "0", "--bind", sync + ":/sync:rw", "--",
       "set -e; echo changed > /srv/app/data; rm /bin/cat; chmod 777 /etc/passwd;"
       "chown 0:0 /srv/app; touch /etc/new-in-a; touch /sync/a-done;"
       "while [ ! -e /sync/b-done ]; do sleep 0.05; done"});
  ASSERT_TRUE(wait_until(60000, [&] { return fs::exists(sync + "/a-done"); }));
  auto b = run({"--image", kApp, "--bind", sync + ":/sync:rw"},
               {"cat /srv/app/data; ls /bin/cat; stat -c '%a' /etc/passwd;"
                "stat -c '%u' /srv/app; ls /etc/new-in-a 2>&1; touch /sync/b-done"});
  EXPECT_EQ(wait_exit(a), 0);
  EXPECT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(lines(b.out),
            (std::vector<std::string>{"shipped with the image", "/bin/cat", "644", "1500",
                                      "ls: /etc/new-in-a: No such file or directory"}));
  EXPECT_EQ(layers_on_disk(kApp), before);
}

// An image's /home and /tmp are symlinks to host paths: the start refuses to make the
// home directory or mount /tmp through them (in the sandbox's mount namespace the host's
// tree is still "/" then), and nothing appears on the host.
TEST_F(RunImage, SymlinksOfTheImageLeadNowhereOnTheHost) {
  ASSERT_EQ(run_cordon({"image", "import", fixtures_ + "/evil", "--store", store_}).status, 0);
  fs::create_directories(fixtures_ + "/host-home");
  fs::create_directories(fixtures_ + "/host-tmp");
  auto r = run({"--image", "example.com/test/evil:1"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_NE(r.err.find("goes through a symlink in the image"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(fixtures_ + "/host-home"));
  EXPECT_TRUE(fs::is_empty(fixtures_ + "/host-tmp"));
}

TEST_F(RunImage, TheWritableLayerIsCappedByDisk) {
  auto r = run({"--image", kApp, "--user", "0", "--disk", "4M"},
               {"dd if=/dev/zero of=/big bs=1M count=16 2>&1; echo dd=$?"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("No space left on device"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dd=1"), std::string::npos) << r.out;
}

// gc.lock: a sandbox holds the store's layers for its life, so prune is refused while it
// runs (even after its image's name is gone), and removes the layers once it ended.
TEST_F(RunImage, PruneNeverRemovesTheLayersOfARunningSandbox) {
  std::string sync = dir_.path() + "/sync";
  fs::create_directories(sync);
  ASSERT_EQ(::chmod(sync.c_str(), 0777), 0);
  auto dirs = inspect(kApp)["layer_dirs"];
  pid_t a =
      spawn_cordon({"run", "--store", store_, "--image", kApp, "--bind", sync + ":/sync:rw", "--",
                    "touch /sync/up; while [ ! -e /sync/stop ]; do sleep 0.05; done;"
                    "cat /srv/app/data"});
  ASSERT_TRUE(wait_until(60000, [&] { return fs::exists(sync + "/up"); }));
  for (const char* ref : {kApp, "example.com/test/oci:1"})
    ASSERT_EQ(run_cordon({"image", "rm", ref, "--store", store_}).status, 0);
  auto p = run_cordon({"image", "prune", "--store", store_});
  EXPECT_NE(p.status, 0);
  EXPECT_NE(p.err.find("in use"), std::string::npos) << p.err;
  for (const auto& d : dirs) EXPECT_TRUE(fs::exists(d.get<std::string>())) << d;
  std::ofstream(sync + "/stop").put('\n');
  EXPECT_EQ(wait_exit(a), 0);
  p = run_cordon({"image", "prune", "--store", store_});
  EXPECT_EQ(p.status, 0) << p.err;
  for (const auto& d : dirs) EXPECT_FALSE(fs::exists(d.get<std::string>())) << d;
}

}  // namespace
}  // namespace cordon::testing
