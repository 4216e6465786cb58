// Image references normalized as Docker does, and the strict OCI/Docker document parsers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "image/oci.h"
#include "image/ref.h"

namespace cordon::image {
namespace {

std::string norm(const std::string& s) {
  auto r = parse_reference(s);
  return r.ok() ? r->str() : "ERROR: " + r.error().to_string();
}

const std::string kHex(64, 'a');

TEST(ImageRef, NormalizesAsDocker) {
  EXPECT_EQ(norm("busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(norm("busybox:1.36"), "docker.io/library/busybox:1.36");
  EXPECT_EQ(norm("user/app"), "docker.io/user/app:latest");
  EXPECT_EQ(norm("docker.io/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(norm("index.docker.io/library/busybox:x"), "docker.io/library/busybox:x");
  EXPECT_EQ(norm("localhost/x"), "localhost/x:latest");
  EXPECT_EQ(norm("localhost:5000/x"), "localhost:5000/x:latest");
  EXPECT_EQ(norm("quay.io/a/b/c:v1.2-rc_3"), "quay.io/a/b/c:v1.2-rc_3");
  EXPECT_EQ(norm("[::1]:5000/x:y"), "[::1]:5000/x:y");
  EXPECT_EQ(norm("a.b-c__d"), "docker.io/library/a.b-c__d:latest");
}

TEST(ImageRef, DigestReferencesKeepNoDefaultTag) {
  EXPECT_EQ(norm("busybox@sha256:" + kHex), "docker.io/library/busybox@sha256:" + kHex);
  EXPECT_EQ(norm("q.io/x:t@sha256:" + kHex), "q.io/x:t@sha256:" + kHex);
  auto r = parse_reference("localhost:5000/x@sha256:" + kHex);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->registry, "localhost:5000");
  EXPECT_EQ(r->repository, "x");
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->digest, "sha256:" + kHex);
}

TEST(ImageRef, RefusesWhatDockerRefuses) {
  const std::vector<std::string> bads = {"",
                                         "Busybox",
                                         "a//b",
                                         "a/",
                                         ":tag",
                                         "x:",
                                         "x:-t",
                                         "x@sha256:abc",
                                         "x@md5:" + kHex,
                                         "-x",
                                         "x_",
                                         "a..b",
                                         "bad host:1/x",
                                         kHex,
                                         std::string(300, 'a'),
                                         "x:" + std::string(129, 't')};
  for (const std::string& bad : bads) {
    auto r = parse_reference(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' -> " << (r.ok() ? r->str() : "");
  }
  auto r = parse_reference("UPPER/x");  // an upper-case first component is a host
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->registry, "UPPER");
  auto e = parse_reference("x/Y");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().to_string().find("repository component 'Y'"), std::string::npos);
}

std::string desc(const std::string& type, const std::string& hex = kHex, int size = 10) {
  return R"({"mediaType":")" + type + R"(","digest":"sha256:)" + hex + R"(","size":)" +
         std::to_string(size) + "}";
}

TEST(ImageOci, ParsesAManifestAndRefusesBadOnes) {
  std::string m = R"({"schemaVersion":2,"mediaType":")" + std::string(kOciManifest) +
                  R"(","config":)" + desc(std::string(kOciConfig)) + R"(,"layers":[)" +
                  desc(std::string(kOciLayerGzip)) + "]}";
  auto r = parse_manifest(m, "m");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->layers.size(), 1u);
  EXPECT_EQ(r->layers[0].digest, "sha256:" + kHex);
  EXPECT_EQ(r->config.size, 10);

  EXPECT_FALSE(parse_manifest(R"({"schemaVersion":1,"config":{},"layers":[]})", "m").ok());
  // A duplicate key, a non-sha256 digest, a negative size, an unknown layer type.
  EXPECT_FALSE(
      parse_manifest(
          R"({"schemaVersion":2,"schemaVersion":2,"config":)" + desc("x") + R"(,"layers":[]})", "m")
          .ok());
  EXPECT_FALSE(
      parse_manifest(R"({"schemaVersion":2,"config":)" + desc("x", "abc") + R"(,"layers":[]})", "m")
          .ok());
  EXPECT_FALSE(
      parse_manifest(R"({"schemaVersion":2,"config":)" + desc("x", kHex, -1) + R"(,"layers":[]})",
                     "m")
          .ok());
  auto t =
      parse_manifest(R"({"schemaVersion":2,"config":)" + desc("x") + R"(,"layers":[)" +
                         desc("application/vnd.oci.image.layer.nondistributable.v1.tar") + "]}",
                     "m");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().to_string().find("not a tar layer"), std::string::npos);
}

TEST(ImageOci, ParsesAnIndexWithPlatformsAndNames) {
  std::string idx =
      R"({"schemaVersion":2,"manifests":[{"mediaType":")" + std::string(kOciManifest) +
      R"(","digest":"sha256:)" + kHex +
      R"(","size":3,"platform":{"os":"linux","architecture":"arm64","variant":"v8"},)" +
      R"("annotations":{"org.opencontainers.image.ref.name":"x:1"}}]})";
  auto r = parse_index(idx, "i");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->manifests.size(), 1u);
  ASSERT_TRUE(r->manifests[0].platform.has_value());
  EXPECT_EQ(r->manifests[0].platform->architecture, "arm64");
  EXPECT_EQ(r->manifests[0].platform->variant, "v8");
  EXPECT_EQ(r->manifests[0].ref_name, "x:1");
  EXPECT_FALSE(parse_index(R"({"schemaVersion":2})", "i").ok());
  EXPECT_FALSE(parse_index(R"([1])", "i").ok());
}

TEST(ImageOci, ParsesAConfigKeepingNullAndEmptyApart) {
  std::string c = R"({"architecture":"amd64","os":"linux","config":{"Env":["A=1"],"Cmd":[],)"
                  R"("Entrypoint":null,"WorkingDir":"/w","User":"1:2"},)"
                  R"("rootfs":{"type":"layers","diff_ids":["sha256:)" +
                  kHex + R"("]}})";
  auto r = parse_config(c, "c");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->env, std::vector<std::string>{"A=1"});
  ASSERT_TRUE(r->cmd.has_value());
  EXPECT_TRUE(r->cmd->empty());
  EXPECT_FALSE(r->entrypoint.has_value());
  EXPECT_EQ(r->working_dir, "/w");
  EXPECT_EQ(r->user, "1:2");
  EXPECT_EQ(r->diff_ids.size(), 1u);
  // The synthesized form reads back to the same config.
  auto back = parse_config(config_json(*r), "c2");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->diff_ids, r->diff_ids);
  EXPECT_EQ(back->cmd, r->cmd);
  EXPECT_FALSE(parse_config(R"({"rootfs":{"type":"layers","diff_ids":["sha256:x"]}})", "c").ok());
  EXPECT_FALSE(
      parse_config(R"({"config":{"Env":[1]},"rootfs":{"type":"layers","diff_ids":[]}})", "c").ok());
  EXPECT_FALSE(parse_config(std::string(kMaxDocumentBytes + 1, ' '), "c").ok());
}

TEST(ImageOci, ParsesDockerSaveManifest) {
  auto r = parse_docker_save_manifest(
      R"([{"Config":"c.json","RepoTags":["a:1","b:2"],"Layers":["l/layer.tar"]}])", "m");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].repo_tags.size(), 2u);
  EXPECT_EQ((*r)[0].layers[0], "l/layer.tar");
  EXPECT_FALSE(parse_docker_save_manifest("[]", "m").ok());
  EXPECT_FALSE(parse_docker_save_manifest(R"([{"Layers":[]}])", "m").ok());
  EXPECT_FALSE(parse_docker_save_manifest(R"({"Config":"x"})", "m").ok());
}

// What a tenant may name as an image: IDs, short IDs and references (11 hex digits, or 65,
// are a repository's name), never an instance's pin, an option-like word or anything past
// the limit.
TEST(ImageRef, WhatATenantMayName) {
  const std::string id = "sha256:" + std::string(64, 'a');
  for (const std::string& ok :
       {id, std::string(11, 'b'), std::string(12, 'b'), std::string(64, 'c'), std::string(65, 'c'),
        std::string("python:3.12"), std::string("registry.example.com/team/app@") + id})
    EXPECT_TRUE(tenant_image_ref(ok, 512)) << ok;
  for (const std::string& bad :
       {std::string(), std::string("-x"), std::string("--store=/etc"),
        "sha256:" + std::string(63, 'a'), std::string("sha256:") + std::string(64, 'A'),
        std::string("instances.cordon.internal/web:pinned"), std::string("UPPER:1")})
    EXPECT_FALSE(tenant_image_ref(bad, 512)) << bad;
  EXPECT_FALSE(tenant_image_ref("python:3.12", 5));
}

}  // namespace
}  // namespace cordon::image
