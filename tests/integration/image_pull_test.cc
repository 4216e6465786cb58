// `cordon image pull` from outside: the real cordon (which execs cordon-image) against a
// real registry (tests/registry/test_registry.py: Debian's docker-registry on 127.0.0.1 with
// TLS and a self-signed certificate, images pushed by skopeo) and a real store in a temp
// dir. What is checked is what a user sees: exit statuses, messages, `image ls`/`inspect`,
// and the store's files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"
#include "test_registry.h"

namespace cordon::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ImagePull : public ::testing::Test {
 protected:
  void need(const std::vector<std::string>& flags) {
    if (!have_root()) GTEST_SKIP() << "needs root (layers keep their owners)";
    if (!have_registry_tools()) GTEST_SKIP() << "docker-registry, skopeo or busybox-static missing";
    reg_ = LocalRegistry::get("image_pull_test", flags);
    ASSERT_EQ(reg_->error(), "");
    store_ = dir_.path() + "/store";
  }
  std::vector<std::string> args(std::vector<std::string> a) const {
    a.insert(a.begin(), "image");
    for (const char* s : {"--store", store_.c_str(), "--ca-file"}) a.push_back(s);
    a.push_back(reg_->info()["ca"]);
    return a;
  }
  RunOut pull(const std::string& ref, std::vector<std::string> more = {}) {
    more.insert(more.begin(), {"pull", ref, "--json"});
    return run_cordon(args(more));
  }
  json store_json(const std::string& cmd, const std::string& ref = "") {
    std::vector<std::string> a{"image", cmd};
    if (!ref.empty()) a.push_back(ref);
    for (const char* s : {"--store", store_.c_str(), "--json"}) a.push_back(s);
    auto r = run_cordon(a);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.status == 0 ? json::parse(r.out) : json();
  }
  std::string host() const { return reg_->info()["anon"]["host"]; }
  size_t count(const std::string& sub) const {
    if (!fs::exists(store_ + "/" + sub)) return 0;
    return static_cast<size_t>(std::distance(fs::directory_iterator(store_ + "/" + sub), {}));
  }
  // Nothing of a refused pull: no blob, layer, record or tmp entry, and ls lists nothing.
  void expect_nothing_kept() {
    EXPECT_EQ(count("blobs/sha256"), 0u);
    EXPECT_EQ(count("layers/sha256"), 0u);
    EXPECT_EQ(count("images"), 0u);
    EXPECT_EQ(count("tmp"), 0u);
    EXPECT_EQ(store_json("ls"), json::array());
  }

  TempDir dir_;
  std::string store_;
  const LocalRegistry* reg_ = nullptr;
};

TEST_F(ImagePull, PullsListsInspectsAndPullsAgainFetchingNothing) {
  need({});
  const json& im = reg_->info()["images"]["busybox"];
  std::string name = host() + "/test/busybox:latest";
  auto r = pull(host() + "/test/busybox");  // the tag defaults to latest
  ASSERT_EQ(r.status, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["id"], im["manifest"]);
  EXPECT_EQ(out["name"], name);
  EXPECT_EQ(out["bytes_fetched"], out["size"]);
  EXPECT_EQ(out["layers_unpacked"], 2);

  json ls = store_json("ls");
  ASSERT_EQ(ls.size(), 1u) << ls.dump();
  EXPECT_EQ(ls[0]["refs"], json::array({name}));
  EXPECT_EQ(ls[0]["source"], "pull " + name);
  json in = store_json("inspect", name);
  EXPECT_EQ(in["id"], im["manifest"]);
  ASSERT_EQ(in["layer_dirs"].size(), 2u);
  EXPECT_TRUE(fs::exists(in["layer_dirs"][0].get<std::string>() + "/bin/busybox"));
  EXPECT_EQ(read_file(in["layer_dirs"][1].get<std::string>() + "/etc/image-file"), "from-image\n");
  EXPECT_EQ(count("tmp"), 0u);  // the pull's directory is gone

  // Again: the blobs come from the store, nothing is fetched and nothing unpacked.
  auto again = pull(name);
  ASSERT_EQ(again.status, 0) << again.err;
  json a = json::parse(again.out);
  EXPECT_EQ(a["bytes_fetched"], 0);
  EXPECT_EQ(a["blobs_present"], 3);
  EXPECT_EQ(a["layers_unpacked"], 0);
  EXPECT_EQ(a["id"], im["manifest"]);
  EXPECT_EQ(count("tmp"), 0u);
}

TEST_F(ImagePull, MultiArchIndexGivesThisHostsImage) {
  need({});
  const json& im = reg_->info()["images"]["multi"];
  auto r = pull(host() + "/test/multi:latest");
  ASSERT_EQ(r.status, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["index"], im["index"]);
  EXPECT_EQ(out["id"], im["amd64"]["manifest"]);
  json in = store_json("inspect", host() + "/test/multi");
  EXPECT_EQ(in["platform"], "linux/amd64");
  EXPECT_EQ(read_file(in["layer_dirs"][0].get<std::string>() + "/etc/arch"), "amd64\n");
  // The store keeps only what this host runs: another platform is a usage error.
  auto arm = pull(host() + "/test/multi", {"--platform", "linux/arm64"});
  EXPECT_EQ(arm.status, 64);
  EXPECT_NE(arm.err.find("--platform 'linux/arm64'"), std::string::npos) << arm.err;
  // A tag the registry does not have, and a bad reference.
  auto missing = pull(host() + "/test/multi:nope");
  EXPECT_EQ(missing.status, 66);
  EXPECT_NE(missing.err.find("not found in the registry"), std::string::npos) << missing.err;
  auto bad = pull("Bad Ref");
  EXPECT_EQ(bad.status, 64) << bad.err;
  EXPECT_EQ(count("tmp"), 0u);
}

TEST_F(ImagePull, TokenAuthWithACredentialsFileAndAWrongPasswordKeepsNothing) {
  need({"--token"});
  const json& t = reg_->info()["token"];
  std::string ref = t["host"].get<std::string>() + "/private/busybox";
  std::string creds = dir_.path() + "/creds";
  std::ofstream(creds) << t["user"].get<std::string>() << ":not-the-password\n";
  auto wrong = pull(ref, {"--credentials-file", creds});
  EXPECT_EQ(wrong.status, 77) << wrong.err;
  EXPECT_NE(wrong.err.find("refused the credentials"), std::string::npos) << wrong.err;
  expect_nothing_kept();
  auto anon = pull(ref);
  EXPECT_EQ(anon.status, 77) << anon.err;
  EXPECT_NE(anon.err.find("wants credentials"), std::string::npos) << anon.err;
  expect_nothing_kept();

  // From the environment when no file is given (set only around this one run).
  ::setenv("CORDON_REGISTRY_USER", t["user"].get<std::string>().c_str(), 1);
  ::setenv("CORDON_REGISTRY_PASSWORD", t["password"].get<std::string>().c_str(), 1);
  auto env = pull(ref);
  ::unsetenv("CORDON_REGISTRY_USER");
  ::unsetenv("CORDON_REGISTRY_PASSWORD");
  ASSERT_EQ(env.status, 0) << env.err;
  ASSERT_EQ(run_cordon({"image", "rm", ref, "--store", store_}).status, 0);

  std::ofstream(creds, std::ios::trunc)
      << t["user"].get<std::string>() << ":" << t["password"].get<std::string>() << "\n";
  auto right = pull(ref, {"--credentials-file", creds});
  ASSERT_EQ(right.status, 0) << right.err;
  EXPECT_EQ(json::parse(right.out)["id"], reg_->info()["images"]["busybox"]["manifest"]);
  json ls = store_json("ls");
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0]["refs"], json::array({ref + ":latest"}));
}

TEST_F(ImagePull, CorruptBlobIsRefusedAndNothingKept) {
  need({});
  const json& im = reg_->info()["images"]["corrupt"];
  std::string layer = im["layers"][0];
  std::string hex = layer.substr(7);
  std::string data = reg_->info()["anon"]["storage"].get<std::string>() +
                     "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
  ASSERT_TRUE(fs::exists(data)) << data;
  {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    auto mid = static_cast<std::streamoff>(fs::file_size(data) / 2);
    char c = 0;
    f.seekg(mid);
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(mid);
    f.write(&c, 1);
  }
  auto r = pull(host() + "/test/corrupt");
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_NE(r.err.find("verify blob " + layer), std::string::npos) << r.err;
  expect_nothing_kept();
}

TEST_F(ImagePull, TruncatedBlobKeepsItsPartialDownloadForTheNextPull) {
  need({});
  const json& im = reg_->info()["images"]["truncated"];
  std::string layer = im["layers"][0];
  std::string hex = layer.substr(7);
  std::string data = reg_->info()["anon"]["storage"].get<std::string>() +
                     "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
  ASSERT_TRUE(fs::exists(data)) << data;
  auto half = fs::file_size(data) / 2;
  fs::resize_file(data, half);
  auto r = pull(host() + "/test/truncated");
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("again resumes it"), std::string::npos) << r.err;
  EXPECT_EQ(store_json("ls"), json::array());
  // The half that came is kept, in the reference's pull directory, for a resume.
  std::error_code ec;
  size_t dirs = 0;
  for (const auto& e : fs::directory_iterator(store_ + "/tmp", ec)) {
    ++dirs;
    EXPECT_EQ(e.path().filename().string().rfind("pull-", 0), 0u) << e.path();
    EXPECT_EQ(fs::file_size(e.path().string() + "/blobs/sha256/" + hex + ".partial", ec), half)
        << ec.message();
  }
  EXPECT_EQ(dirs, 1u);
}

// The .partial file of a blob in the store's pull directories, or "".
std::string find_partial(const std::string& store, const std::string& digest) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(store + "/tmp", ec)) {
    std::string p = e.path().string() + "/blobs/sha256/" + digest.substr(7) + ".partial";
    if (fs::exists(p, ec)) return p;
  }
  return "";
}

// Whether every thread of pid is in state T (stopped), from /proc/PID/task/*/stat.
bool all_stopped(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string stat = read_file(t.path().string() + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'T')
      return false;
    ++n;
  }
  return n > 0;
}

TEST_F(ImagePull, InterruptedPullKeepsItsDownloadAndTheNextResumes) {
  need({"--big", "64"});
  const json& im = reg_->info()["images"]["big"];
  std::string layer = im["layers"][0];
  uint64_t size = im["layer_sizes"][0];
  std::string ref = host() + "/test/big";
  std::string err_path = dir_.path() + "/pull.err";
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(err, 0);
  std::vector<std::string> argv = args({"pull", ref});
  argv.insert(argv.begin(), cordon_binary());
  pid_t pid = spawn_program(argv, -1, -1, err);
  ::close(err);
  ASSERT_GT(pid, 0);
  // Wait for the layer's download to exist and grow; then stop the pull where it is (so a
  // fast loopback cannot finish the layer between our look and the signal), interrupt it,
  // and let it go on to see the signal.
  std::string partial;
  uintmax_t first = 0;
  bool growing = wait_until(60000, [&] {
    if (partial.empty()) partial = find_partial(store_, layer);
    std::error_code ec;
    uintmax_t n = partial.empty() ? 0 : fs::file_size(partial, ec);
    if (ec || n == 0) return false;
    if (first == 0) first = n;
    return n > first;
  });
  ASSERT_TRUE(growing) << read_file(err_path);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  // kill returns before the stop takes: wait until every thread of it is stopped ('T').
  ASSERT_TRUE(wait_until(10000, [&] { return all_stopped(pid); }));
  uintmax_t kept = fs::file_size(partial);
  ASSERT_LT(kept, size) << "the layer finished before the pull was stopped";
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  EXPECT_EQ(wait_exit(pid), 130);
  std::string msg = read_file(err_path);
  EXPECT_NE(msg.find("interrupted by SIGINT"), std::string::npos) << msg;
  EXPECT_NE(msg.find("resumes it"), std::string::npos) << msg;
  EXPECT_EQ(fs::file_size(partial), kept);
  EXPECT_EQ(store_json("ls"), json::array());
  // prune keeps the download (it is a resumable *.partial directory) ...
  auto pr = run_cordon({"image", "prune", "--store", store_});
  EXPECT_EQ(pr.status, 0) << pr.err;
  EXPECT_EQ(find_partial(store_, layer), partial);

  // ... and the next pull continues from it.
  auto r = pull(ref);
  ASSERT_EQ(r.status, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["bytes_resumed"], kept);
  EXPECT_EQ(out["bytes_fetched"], size - kept);  // the rest of the layer only
  EXPECT_EQ(out["blobs_present"], 1);            // the config came whole the first time
  EXPECT_EQ(out["id"], im["manifest"]);
  EXPECT_EQ(count("tmp"), 0u);
  double mb_s = out["bytes_fetched"].get<double>() / 1e6 / out["seconds"].get<double>();
  RecordProperty("resumed_pull_MB_per_s", std::to_string(mb_s));
  std::printf("resumed pull: %.1f MB in %.3f s, %.1f MB/s\n",
              out["bytes_fetched"].get<double>() / 1e6, out["seconds"].get<double>(), mb_s);
}

}  // namespace
}  // namespace cordon::testing
