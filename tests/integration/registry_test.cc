// The registry client (src/image_io/registry) against a real registry: Debian's
// docker-registry on 127.0.0.1 with images skopeo pushed, started for this test process by
// tests/registry/test_registry.py (which stops it, by PID, when our end of its stdin
// closes). Every pull lands in an OCI layout that is checked from outside: each blob's
// sha256 by sha256sum, the image by `skopeo inspect oci:DIR`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"
#include "registry/registry.h"
#include "test_registry.h"

namespace cordon::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using registry::FetchOptions;
using registry::PullResult;
using registry::RegistryRef;

#define NEED_REGISTRY(reg, ...)                                                                    \
  if (!have_registry_tools()) GTEST_SKIP() << "docker-registry, skopeo or busybox-static missing"; \
  const LocalRegistry* reg = LocalRegistry::get("registry_test", __VA_ARGS__);                     \
  ASSERT_EQ(reg->error(), "")

std::string sha256_of_file(const std::string& path) {
  RunOut r = run_program({"/usr/bin/sha256sum", path});
  if (r.status != 0) return "sha256sum failed: " + r.err;
  return "sha256:" + r.out.substr(0, 64);
}

std::string blob_path(const std::string& layout, const std::string& digest) {
  return layout + "/blobs/sha256/" + digest.substr(7);
}

// Every file under blobs/sha256 is named by its content's sha256, and nothing partial
// is left.
void expect_verified_layout(const std::string& layout) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(layout + "/blobs/sha256")) {
    std::string name = e.path().filename();
    EXPECT_EQ(name.find(".partial"), std::string::npos) << name;
    EXPECT_EQ(sha256_of_file(e.path()), "sha256:" + name);
    ++n;
  }
  EXPECT_GT(n, 0u);
}

RegistryRef ref_of(const std::string& host, const std::string& repo, const std::string& tag) {
  return RegistryRef{host, repo, tag};
}

FetchOptions options(const LocalRegistry* reg) {
  FetchOptions o;
  o.ca_file = reg->info()["ca"];
  return o;
}

TEST(RegistryPull, AnonymousPullWritesAVerifiedLayout) {
  NEED_REGISTRY(reg, {});
  const json& im = reg->info()["images"]["busybox"];
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  std::vector<registry::Progress> seen;
  auto r = registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], "latest"),
                                     layout, options(reg),
                                     [&](const registry::Progress& p) { seen.push_back(p); });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->manifest_digest, im["manifest"]);
  EXPECT_EQ(r->config_digest, im["config"]);
  EXPECT_EQ(r->layers, im["layers"].get<std::vector<std::string>>());
  EXPECT_EQ(r->index_digest, "");
  EXPECT_EQ(r->bytes_fetched, r->size);
  expect_verified_layout(layout);
  for (const auto& d : r->layers) EXPECT_TRUE(fs::exists(blob_path(layout, d))) << d;

  // index.json names the manifest; skopeo reads the layout as an image.
  json index = json::parse(read_file(layout + "/index.json"));
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["digest"], im["manifest"]);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "latest");
  RunOut sk = run_program({"/usr/bin/skopeo", "inspect", "oci:" + layout + ":latest"});
  ASSERT_EQ(sk.status, 0) << sk.err;
  json inspected = json::parse(sk.out);
  EXPECT_EQ(inspected["Digest"], im["manifest"]);
  EXPECT_EQ(inspected["Architecture"], "amd64");
  EXPECT_EQ(inspected["Layers"], im["layers"]);

  // Progress: per blob up to its size, overall up to the total, never backwards.
  ASSERT_FALSE(seen.empty());
  uint64_t last_all = 0;
  for (const auto& p : seen) {
    EXPECT_LE(p.done, p.total);
    EXPECT_GE(p.all_done, last_all);
    last_all = p.all_done;
    EXPECT_EQ(p.all_total, r->size);
  }
  EXPECT_EQ(seen.back().all_done, r->size);

  // Again into the same layout: every blob is there and verified, nothing is fetched.
  auto again = registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], "latest"),
                                         layout, options(reg), nullptr);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->bytes_fetched, 0u);
  for (const auto& b : again->blobs) EXPECT_TRUE(b.present) << b.digest;
}

TEST(RegistryPull, ByDigestChecksTheManifest) {
  NEED_REGISTRY(reg, {});
  const json& im = reg->info()["images"]["busybox"];
  TempDir tmp;
  auto r =
      registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], im["manifest"]),
                                tmp.path() + "/l", options(reg), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->manifest_digest, im["manifest"]);
  // A digest the registry does not have.
  std::string missing = "sha256:" + std::string(64, '0');
  auto bad = registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], missing),
                                       tmp.path() + "/m", options(reg), nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("not found"), std::string::npos)
      << bad.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/m"));
}

TEST(RegistryPull, IndexIsResolvedToThePlatform) {
  NEED_REGISTRY(reg, {});
  const json& im = reg->info()["images"]["multi"];
  std::string host = reg->info()["anon"]["host"];
  TempDir tmp;
  std::string layout = tmp.path() + "/amd64";
  auto r =
      registry::fetch_to_layout(ref_of(host, im["repo"], "latest"), layout, options(reg), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->index_digest, im["index"]);
  EXPECT_EQ(r->manifest_digest, im["amd64"]["manifest"]);
  EXPECT_EQ(r->layers, im["amd64"]["layers"].get<std::vector<std::string>>());
  EXPECT_FALSE(fs::exists(blob_path(layout, im["arm64"]["layers"][0])));
  expect_verified_layout(layout);
  RunOut sk = run_program({"/usr/bin/skopeo", "inspect", "oci:" + layout + ":latest"});
  ASSERT_EQ(sk.status, 0) << sk.err;
  EXPECT_EQ(json::parse(sk.out)["Architecture"], "amd64");

  FetchOptions arm = options(reg);
  arm.platform = {"linux", "arm64", ""};
  auto a = registry::fetch_to_layout(ref_of(host, im["repo"], "latest"), tmp.path() + "/arm64", arm,
                                     nullptr);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->manifest_digest, im["arm64"]["manifest"]);

  FetchOptions s390 = options(reg);
  s390.platform = {"linux", "s390x", ""};
  auto none = registry::fetch_to_layout(ref_of(host, im["repo"], "latest"), tmp.path() + "/s390x",
                                        s390, nullptr);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().to_string().find("no manifest for linux/s390x"), std::string::npos)
      << none.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/s390x"));

  // A single-platform image for another platform is refused, not run.
  FetchOptions want_arm = options(reg);
  want_arm.platform = {"linux", "arm64", ""};
  const json& bb = reg->info()["images"]["busybox"];
  auto wrong = registry::fetch_to_layout(ref_of(host, bb["repo"], "latest"), tmp.path() + "/w",
                                         want_arm, nullptr);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().to_string().find("is for linux/amd64"), std::string::npos)
      << wrong.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/w/index.json"));
}

TEST(RegistryPull, TokenAuthWithTheRightPasswordOnly) {
  NEED_REGISTRY(reg, {"--token"});
  const json& t = reg->info()["token"];
  const json& im = reg->info()["images"]["busybox"];
  TempDir tmp;
  RegistryRef ref = ref_of(t["host"], t["repo"], "latest");

  auto anon = registry::fetch_to_layout(ref, tmp.path() + "/anon", options(reg), nullptr);
  ASSERT_FALSE(anon.ok());
  EXPECT_NE(anon.error().to_string().find("wants credentials"), std::string::npos)
      << anon.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/anon"));

  FetchOptions wrong = options(reg);
  wrong.credentials = registry::Credentials{t["user"], "not-the-password"};
  auto bad = registry::fetch_to_layout(ref, tmp.path() + "/wrong", wrong, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("refused the credentials"), std::string::npos)
      << bad.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/wrong"));

  // The right password, from a file as an operator would give it.
  std::string cred_file = tmp.path() + "/creds";
  std::ofstream(cred_file) << t["user"].get<std::string>() << ":"
                           << t["password"].get<std::string>() << "\n";
  auto creds = registry::credentials_from_file(cred_file);
  ASSERT_TRUE(creds.ok()) << creds.error().to_string();
  FetchOptions right = options(reg);
  right.credentials = *creds;
  std::string layout = tmp.path() + "/right";
  auto r = registry::fetch_to_layout(ref, layout, right, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->manifest_digest, im["manifest"]);
  expect_verified_layout(layout);
}

// Overwrites one byte in the middle of a blob in the registry's own storage: the registry
// serves the damaged bytes as they are.
void damage_in_storage(const std::string& storage, const std::string& digest, bool truncate) {
  std::string hex = digest.substr(7);
  std::string data =
      storage + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
  ASSERT_TRUE(fs::exists(data)) << data;
  auto size = fs::file_size(data);
  if (truncate) {
    fs::resize_file(data, size / 2);
    return;
  }
  std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(size / 2));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(size / 2));
  f.write(&c, 1);
}

TEST(RegistryPull, CorruptBlobIsRefusedAndNotKept) {
  NEED_REGISTRY(reg, {});
  const json& im = reg->info()["images"]["corrupt"];
  std::string layer = im["layers"][0];
  damage_in_storage(reg->info()["anon"]["storage"], layer, false);
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  auto r = registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], "latest"),
                                     layout, options(reg), nullptr);
  ASSERT_FALSE(r.ok());
  std::string msg = r.error().to_string();
  EXPECT_NE(msg.find("verify blob"), std::string::npos) << msg;
  EXPECT_NE(msg.find(layer), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(blob_path(layout, layer)));
  EXPECT_FALSE(fs::exists(blob_path(layout, layer) + ".partial"));
  EXPECT_FALSE(fs::exists(layout + "/index.json"));
  expect_verified_layout(layout);  // what is there (manifest, config) is all sound
}

TEST(RegistryPull, TruncatedBlobIsRefused) {
  NEED_REGISTRY(reg, {});
  const json& im = reg->info()["images"]["truncated"];
  std::string layer = im["layers"][0];
  damage_in_storage(reg->info()["anon"]["storage"], layer, true);
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  auto r = registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], "latest"),
                                     layout, options(reg), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("truncated"), std::string::npos) << r.error().to_string();
  EXPECT_FALSE(fs::exists(blob_path(layout, layer)));
  EXPECT_FALSE(fs::exists(layout + "/index.json"));
}

TEST(RegistryPull, InterruptedBlobIsResumedWithRange) {
  NEED_REGISTRY(reg, {});
  const json& im = reg->info()["images"]["busybox"];
  std::string layer = im["layers"][0];
  uint64_t size = im["layer_sizes"][0];
  ASSERT_GT(size, 1000u);
  // The first half of the layer, as an interrupted pull leaves it.
  std::string whole = read_file(blob_path(im["layout"], layer));
  ASSERT_EQ(whole.size(), size);
  uint64_t half = size / 2;
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  fs::create_directories(layout + "/blobs/sha256");
  std::ofstream(blob_path(layout, layer) + ".partial", std::ios::binary) << whole.substr(0, half);

  uint64_t first_report = 0;
  auto r = registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], "latest"),
                                     layout, options(reg), [&](const registry::Progress& p) {
                                       if (p.digest == layer && first_report == 0)
                                         first_report = p.done;
                                     });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const registry::BlobFetch* b = nullptr;
  for (const auto& f : r->blobs)
    if (f.digest == layer) b = &f;
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->resumed_from, half);
  EXPECT_EQ(b->fetched, size - half);
  EXPECT_GT(first_report, half);  // progress started from the resumed bytes
  EXPECT_EQ(sha256_of_file(blob_path(layout, layer)), layer);
  EXPECT_EQ(r->bytes_fetched, r->size - half);
  expect_verified_layout(layout);
  // The registry's access log: the layer was served as a 206 of the second half (other
  // tests of this process may have pulled it too, whole or from other offsets).
  std::string log = read_file(reg->info()["anon"]["log"]);
  std::string want = "/blobs/" + layer + " ";
  bool resumed = false;
  for (size_t at = 0, nl; at < log.size(); at = nl + 1) {
    nl = log.find('\n', at);
    if (nl == std::string::npos) nl = log.size();
    std::string line = log.substr(at, nl - at);
    if (line.find("\"GET /v2/test/busybox" + want) != std::string::npos &&
        line.find("\" 206 " + std::to_string(size - half) + " ") != std::string::npos)
      resumed = true;
  }
  EXPECT_TRUE(resumed) << log;
}

// A real interruption: the pull is cancelled in the middle of the busybox layer (as a
// Ctrl-C handler would), then run again into the same layout.
TEST(RegistryPull, CancelledPullResumesWhereItStopped) {
  NEED_REGISTRY(reg, {});
  const json& im = reg->info()["images"]["busybox"];
  std::string layer = im["layers"][0];
  uint64_t size = im["layer_sizes"][0];
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  RegistryRef ref = ref_of(reg->info()["anon"]["host"], im["repo"], "latest");
  std::atomic<bool> cancel{false};
  uint64_t done_when_cancelled = 0;
  FetchOptions o = options(reg);
  o.cancel = &cancel;
  auto first = registry::fetch_to_layout(ref, layout, o, [&](const registry::Progress& p) {
    if (p.digest == layer && p.done > size / 3 && !cancel) {
      cancel = true;
      done_when_cancelled = p.done;
    }
  });
  ASSERT_FALSE(first.ok());
  EXPECT_NE(first.error().to_string().find("cancelled"), std::string::npos)
      << first.error().to_string();
  ASSERT_GT(done_when_cancelled, 0u);
  ASSERT_LT(done_when_cancelled, size);
  EXPECT_EQ(fs::file_size(blob_path(layout, layer) + ".partial"), done_when_cancelled);
  EXPECT_FALSE(fs::exists(blob_path(layout, layer)));
  EXPECT_FALSE(fs::exists(layout + "/index.json"));

  auto second = registry::fetch_to_layout(ref, layout, options(reg), nullptr);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  const registry::BlobFetch* b = nullptr;
  for (const auto& f : second->blobs)
    if (f.digest == layer) b = &f;
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->resumed_from, done_when_cancelled);
  EXPECT_EQ(b->fetched, size - done_when_cancelled);
  EXPECT_TRUE(second->blobs[0].present);  // the config came whole the first time
  expect_verified_layout(layout);
}

TEST(RegistryPull, DamagedPartialIsNotTrusted) {
  NEED_REGISTRY(reg, {});
  const json& im = reg->info()["images"]["busybox"];
  std::string layer = im["layers"][0];
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  fs::create_directories(layout + "/blobs/sha256");
  std::ofstream(blob_path(layout, layer) + ".partial", std::ios::binary) << std::string(4096, 'x');
  auto r = registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], "latest"),
                                     layout, options(reg), nullptr);
  // The resumed blob fails its digest: refused, and the partial file is gone ...
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("verify blob"), std::string::npos) << r.error().to_string();
  EXPECT_FALSE(fs::exists(blob_path(layout, layer) + ".partial"));
  EXPECT_FALSE(fs::exists(blob_path(layout, layer)));
  // ... so the next pull fetches it whole and succeeds.
  auto again = registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], "latest"),
                                         layout, options(reg), nullptr);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  expect_verified_layout(layout);
}

TEST(RegistryPull, RefusesWhatItMustNotTrust) {
  NEED_REGISTRY(reg, {});
  const json& im = reg->info()["images"]["busybox"];
  std::string host = reg->info()["anon"]["host"];
  TempDir tmp;
  // The test registry's self-signed certificate is not among the system's CAs.
  auto tls = registry::fetch_to_layout(ref_of(host, im["repo"], "latest"), tmp.path() + "/a",
                                       FetchOptions{}, nullptr);
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.error().to_string().find("TLS"), std::string::npos) << tls.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/a"));
  // Plain http only for a loopback registry.
  FetchOptions http;
  http.insecure_http = true;
  auto remote = registry::fetch_to_layout(ref_of("registry.example:5000", "x/y", "latest"),
                                          tmp.path() + "/b", http, nullptr);
  ASSERT_FALSE(remote.ok());
  EXPECT_NE(remote.error().to_string().find("only for a loopback registry"), std::string::npos)
      << remote.error().to_string();
  // Limits: a manifest over its cap is not read on; a descriptor over the blob cap is
  // refused before anything is fetched or written.
  FetchOptions small_manifest = options(reg);
  small_manifest.max_manifest_bytes = 100;
  auto big = registry::fetch_to_layout(ref_of(host, im["repo"], "latest"), tmp.path() + "/e",
                                       small_manifest, nullptr);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().to_string().find("larger than 100 bytes"), std::string::npos)
      << big.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/e"));
  FetchOptions small_blob = options(reg);
  small_blob.max_blob_bytes = 1000;
  auto over = registry::fetch_to_layout(ref_of(host, im["repo"], "latest"), tmp.path() + "/f",
                                        small_blob, nullptr);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().to_string().find("over the limit of 1000"), std::string::npos)
      << over.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/f"));
  FetchOptions small_image = options(reg);
  small_image.max_image_bytes = 1000;
  auto whole = registry::fetch_to_layout(ref_of(host, im["repo"], "latest"), tmp.path() + "/g",
                                         small_image, nullptr);
  ASSERT_FALSE(whole.ok());
  EXPECT_NE(whole.error().to_string().find("config and layers declare"), std::string::npos)
      << whole.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/g"));
  // Bad references name the part.
  auto bad_repo = registry::fetch_to_layout(ref_of(host, "../etc", "latest"), tmp.path() + "/c",
                                            options(reg), nullptr);
  ASSERT_FALSE(bad_repo.ok());
  EXPECT_NE(bad_repo.error().to_string().find("repository '../etc'"), std::string::npos)
      << bad_repo.error().to_string();
  auto bad_tag = registry::fetch_to_layout(ref_of(host, "test/busybox", "la test"),
                                           tmp.path() + "/d", options(reg), nullptr);
  ASSERT_FALSE(bad_tag.ok());
  EXPECT_NE(bad_tag.error().to_string().find("reference 'la test'"), std::string::npos)
      << bad_tag.error().to_string();
}

}  // namespace
}  // namespace cordon::testing

namespace cordon::testing {
namespace {

TEST(RegistryPull, BasicAuthWithTheRightPasswordOnly) {
  NEED_REGISTRY(reg, {"--basic"});
  const json& b = reg->info()["basic"];
  TempDir tmp;
  RegistryRef ref = ref_of(b["host"], b["repo"], "latest");
  auto anon = registry::fetch_to_layout(ref, tmp.path() + "/anon", options(reg), nullptr);
  ASSERT_FALSE(anon.ok());
  EXPECT_NE(anon.error().to_string().find("wants credentials (Basic)"), std::string::npos)
      << anon.error().to_string();
  FetchOptions wrong = options(reg);
  wrong.credentials = registry::Credentials{b["user"], "not-the-password"};
  auto bad = registry::fetch_to_layout(ref, tmp.path() + "/wrong", wrong, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("refused the credentials"), std::string::npos)
      << bad.error().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/anon"));
  EXPECT_FALSE(fs::exists(tmp.path() + "/wrong"));
  FetchOptions right = options(reg);
  right.credentials = registry::Credentials{b["user"], b["password"]};
  auto r = registry::fetch_to_layout(ref, tmp.path() + "/right", right, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->manifest_digest, reg->info()["images"]["busybox"]["manifest"]);
  expect_verified_layout(tmp.path() + "/right");
}

// The proxy's log lines for blob requests of one digest in one repository.
std::vector<std::string> proxy_lines(const LocalRegistry* reg, const std::string& repo,
                                     const std::string& digest) {
  std::vector<std::string> out;
  std::string log = read_file(reg->info()["proxy"]["log"]);
  for (size_t at = 0, nl; at < log.size(); at = nl + 1) {
    nl = log.find('\n', at);
    if (nl == std::string::npos) nl = log.size();
    std::string line = log.substr(at, nl - at);
    if (line.find("/v2/" + repo + "/blobs/" + digest + " ") != std::string::npos)
      out.push_back(line);
  }
  return out;
}

TEST(RegistryPull, ServerIgnoringRangeSendsTheWholeBlob) {
  NEED_REGISTRY(reg, {"--proxy"});
  const json& im = reg->info()["images"]["busybox"];
  std::string layer = im["layers"][0];
  uint64_t size = im["layer_sizes"][0];
  std::string whole = read_file(blob_path(im["layout"], layer));
  uint64_t half = size / 2;
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  fs::create_directories(layout + "/blobs/sha256");
  std::ofstream(blob_path(layout, layer) + ".partial", std::ios::binary) << whole.substr(0, half);
  auto r = registry::fetch_to_layout(ref_of(reg->info()["proxy"]["host"], im["repo"], "latest"),
                                     layout, options(reg), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const registry::BlobFetch* b = nullptr;
  for (const auto& f : r->blobs)
    if (f.digest == layer) b = &f;
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->resumed_from, 0u);
  EXPECT_EQ(b->fetched, size);
  EXPECT_EQ(sha256_of_file(blob_path(layout, layer)), layer);
  expect_verified_layout(layout);
  // The Range was asked for, and answered with the whole blob.
  std::vector<std::string> lines = proxy_lines(reg, im["repo"], layer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("range=bytes=" + std::to_string(half) + "- -> 200"), std::string::npos)
      << lines[0];
}

TEST(RegistryPull, RedirectedBlobsAreFollowed) {
  NEED_REGISTRY(reg, {"--proxy"});
  const json& im = reg->info()["images"]["multi"];
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  auto r = registry::fetch_to_layout(ref_of(reg->info()["proxy"]["host"], im["repo"], "latest"),
                                     layout, options(reg), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->manifest_digest, im["amd64"]["manifest"]);
  expect_verified_layout(layout);
  std::string layer = im["amd64"]["layers"][0];
  std::vector<std::string> lines = proxy_lines(reg, im["repo"], layer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("-> 307"), std::string::npos) << lines[0];
  EXPECT_TRUE(fs::exists(blob_path(layout, layer)));
}

// A registry redirects blobs to storage on another origin, which answers 401 naming a
// token realm of its own: the pull fails saying so, the storage got no credentials, and
// its realm got no request at all (the credentials would have gone there as Basic).
TEST(RegistryPull, RedirectedStorageAskingForCredentialsGetsNone) {
  NEED_REGISTRY(reg, {"--proxy"});
  const json& foreign = reg->info()["foreign"];
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  FetchOptions o = options(reg);
  o.credentials = registry::Credentials{"cordon", "registry-password"};
  auto r = registry::fetch_to_layout(ref_of(reg->info()["proxy"]["host"], "test/foreign", "latest"),
                                     layout, o, nullptr);
  ASSERT_FALSE(r.ok());
  std::string err = r.error().to_string();
  EXPECT_NE(err.find("blob storage at https://" + foreign["host"].get<std::string>() +
                     " answered HTTP 401; the registry's credentials are not sent there"),
            std::string::npos)
      << err;
  EXPECT_FALSE(fs::exists(layout + "/index.json"));

  std::string log = read_file(foreign["log"]);
  size_t blob_requests = 0;
  for (size_t at = 0, nl; at < log.size(); at = nl + 1) {
    nl = log.find('\n', at);
    if (nl == std::string::npos) nl = log.size();
    std::string line = log.substr(at, nl - at);
    EXPECT_EQ(line.find("/token"), std::string::npos) << "the foreign realm was asked: " << line;
    if (line.rfind("GET /v2/test/foreign/blobs/sha256:", 0) == 0) {
      ++blob_requests;
      EXPECT_NE(line.find(" auth=- -> 401"), std::string::npos) << line;
    }
  }
  EXPECT_GE(blob_requests, 1u) << "the redirect was not followed: " << log;
}

}  // namespace
}  // namespace cordon::testing

namespace cordon::testing {
namespace {

// Throughput of a verified pull from the loopback registry: one 64 MiB layer of random
// bytes (TLS, HTTP/2, sha256 while streaming, written to the layout). The figure is
// recorded (RecordProperty, and printed), not judged: the machine is shared.
TEST(RegistryPull, LargeLayerIsVerifiedWhileItStreams) {
  NEED_REGISTRY(reg, {"--big", "64"});
  const json& im = reg->info()["images"]["big"];
  TempDir tmp;
  std::string layout = tmp.path() + "/layout";
  size_t reports = 0;
  auto start = std::chrono::steady_clock::now();
  auto r =
      registry::fetch_to_layout(ref_of(reg->info()["anon"]["host"], im["repo"], "latest"), layout,
                                options(reg), [&](const registry::Progress&) { ++reports; });
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  uint64_t size = im["layer_sizes"][0];
  EXPECT_EQ(r->bytes_fetched, r->size);
  EXPECT_EQ(sha256_of_file(blob_path(layout, im["layers"][0])), im["layers"][0]);
  EXPECT_GT(reports, 10u);  // progress while it streams, not once at the end
  double mib_s = static_cast<double>(size) / (1 << 20) / (static_cast<double>(us) / 1e6);
  RecordProperty("pull_MiB_per_s", std::to_string(mib_s));
  std::printf("pull of %.1f MiB: %.3f s, %.1f MiB/s\n", static_cast<double>(size) / (1 << 20),
              static_cast<double>(us) / 1e6, mib_s);
}

}  // namespace
}  // namespace cordon::testing

// The parsers on their own: what a hostile or broken registry could send.
namespace cordon::testing {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

std::string manifest_with(const std::string& config_digest, const std::string& size) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         config_digest + R"(","size":)" + size + R"(},"layers":[]})";
}

TEST(RegistryParse, ManifestsAreReadStrictly) {
  auto ok = registry::parse_manifest(manifest_with(kDigest, "10"), "", 1000, "m");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->config.digest, kDigest);
  EXPECT_EQ(ok->config.size, 10u);
  struct Case {
    std::string body;
    std::string says;
  } cases[] = {
      {manifest_with("sha256:ABC", "10"), "is not sha256:<64 lowercase hex>"},
      {manifest_with("sha512:" + std::string(128, 'a'), "10"), "is not sha256"},
      {manifest_with(kDigest, "-1"), "not a non-negative integer"},
      {manifest_with(kDigest, "1.5"), "not a non-negative integer"},
      {manifest_with(kDigest, "1001"), "over the limit of 1000"},
      {R"({"schemaVersion":1,"name":"x","fsLayers":[]})", "schemaVersion is not 2"},
      {R"({"schemaVersion":2,"schemaVersion":2,"layers":[]})", "duplicate"},
      {R"({"schemaVersion":2,"mediaType":"text/plain"})", "media type 'text/plain'"},
      {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})",
       "without \"config\""},
      {"[1,2]", "not a JSON object"},
      {"{", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = registry::parse_manifest(c.body, "", 1000, "m");
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_NE(r.error().to_string().find(c.says), std::string::npos)
        << c.body << " -> " << r.error().to_string();
  }
}

TEST(RegistryParse, PlatformIsChosenByOsAndArchitecture) {
  std::string index =
      std::string(R"({"schemaVersion":2,"manifests":[)") +
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      "sha256:" + std::string(64, '1') +
      R"(","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v7"}},)" +
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      "sha256:" + std::string(64, '2') +
      R"(","size":1,"platform":{"os":"unknown","architecture":"unknown"}},)" +
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      "sha256:" + std::string(64, '3') +
      R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}}]})";
  auto m = registry::parse_manifest(index, "application/vnd.oci.image.index.v1+json", 1000, "i");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  ASSERT_TRUE(m->is_index);
  auto amd = registry::select_platform(*m, {"linux", "amd64", ""}, "i");
  ASSERT_TRUE(amd.ok());
  EXPECT_EQ(amd->digest, "sha256:" + std::string(64, '3'));
  auto arm = registry::select_platform(*m, {"linux", "arm", "v7"}, "i");
  ASSERT_TRUE(arm.ok());
  EXPECT_EQ(arm->digest, "sha256:" + std::string(64, '1'));
  auto none = registry::select_platform(*m, {"linux", "arm", "v6"}, "i");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().to_string().find("linux/arm/v7, unknown/unknown, linux/amd64"),
            std::string::npos)
      << none.error().to_string();
}

TEST(RegistryParse, ChallengesAreParsedAsRegistriesSendThem) {
  auto cs = registry::parse_challenges(
      R"(Bearer realm="https://auth.example/token",service="registry.example",)"
      R"(scope="repository:library/busybox:pull", Basic realm="x")");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].params["realm"], "https://auth.example/token");
  EXPECT_EQ(cs[0].params["service"], "registry.example");
  EXPECT_EQ(cs[0].params["scope"], "repository:library/busybox:pull");
  EXPECT_EQ(cs[1].scheme, "basic");
  EXPECT_EQ(cs[1].params["realm"], "x");
  EXPECT_EQ(registry::basic_authorization({"user", "p:w"}), "Basic dXNlcjpwOnc=");
}

}  // namespace
}  // namespace cordon::testing
