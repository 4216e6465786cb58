// The spec's one JSON form (spec/spec_json.h): every field travels, defaults fill what is
// missing, and what is unknown, mistyped, duplicated or invalid is refused by name.
#include <gtest/gtest.h>

#include "cli/run_cli.h"
#include "spec/spec_json.h"

namespace cordon::spec {
namespace {

SandboxSpec full() {
  SandboxSpec s;
  s.argv = {"sh", "-c", "echo \"hi\" \xc3\xa9"};
  s.env = {{"A", "1"}, {"A", "2"}};
  s.rootfs = "/images/busybox";
  s.binds = {{"/srv/in", "/in", false}, {"/srv/out", "/out", true}, {"/srv/w", "/w", true}};
  s.binds[0].owner = BindOwner::kOwner;
  s.binds[1].owner = BindOwner::kPlain;
  s.binds[2].owned_by_sandbox = true;
  s.workdir = "/in";
  s.hostname = "box";
  s.uid = 1000;
  s.gid = 1001;
  s.caps = CapsChoice::kNone;
  s.disk_bytes = 64ull << 20;
  s.limits.memory_bytes = 96ull << 20;
  s.limits.memory_swap_bytes = 128ull << 20;
  s.limits.pids = 32;
  s.limits.cpu_millis = 250;
  s.limits.cpu_weight = 50;
  s.limits.io = {{"/dev/vda", 254, 0, 1000, 0}};
  s.limits.wall_ns = 1'500'000'001;
  s.limits.cpu_time_ns = 2'000'000'000;
  s.limits.output_bytes = 1000;
  s.limits.nofile = 64;
  s.limits.fsize_bytes = 1 << 20;
  s.cgroup_parent = "/sys/fs/cgroup/x";
  s.seccomp.kind = SeccompChoice::Kind::kFile;
  s.seccomp.path = "/etc/cordon/p.json";
  s.seccomp_report = true;
  return s;
}

TEST(SpecJson, EveryFieldRoundTrips) {
  SandboxSpec s = full();
  auto back = spec_from_json_text(to_json(s).dump());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->argv, s.argv);
  EXPECT_EQ(back->env, s.env);
  EXPECT_EQ(back->rootfs, s.rootfs);
  EXPECT_EQ(back->binds, s.binds);
  EXPECT_EQ(back->workdir, s.workdir);
  EXPECT_EQ(back->hostname, s.hostname);
  EXPECT_EQ(back->uid, s.uid);
  EXPECT_EQ(back->gid, s.gid);
  EXPECT_EQ(back->caps, s.caps);
  EXPECT_EQ(back->disk_bytes, s.disk_bytes);
  EXPECT_EQ(back->limits, s.limits);
  EXPECT_EQ(back->cgroup_parent, s.cgroup_parent);
  EXPECT_EQ(back->seccomp.kind, s.seccomp.kind);
  EXPECT_EQ(back->seccomp.path, s.seccomp.path);
  EXPECT_TRUE(back->seccomp_report);
  EXPECT_TRUE(same_sandbox(*back, s));
  EXPECT_EQ(to_json(*back), to_json(s));
}

TEST(SpecJson, BindOwnerModesTravel) {
  SandboxSpec s = full();
  auto back = spec_from_json_text(to_json(s).dump());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  ASSERT_EQ(back->binds.size(), 3u);
  EXPECT_EQ(back->binds[0].owner, BindOwner::kOwner);
  EXPECT_EQ(back->binds[1].owner, BindOwner::kPlain);
  EXPECT_EQ(back->binds[2].owner, BindOwner::kAuto);
  EXPECT_TRUE(back->binds[2].owned_by_sandbox);
  EXPECT_FALSE(back->binds[1].owned_by_sandbox);
  // Not given: auto, not owned by the sandbox.
  auto d =
      spec_from_json_text(R"({"argv": ["true"], "binds": [{"source": "/a", "target": "/b"}]})");
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->binds[0].owner, BindOwner::kAuto);
  EXPECT_FALSE(d->binds[0].owned_by_sandbox);
  EXPECT_FALSE(d->binds[0].mapping.owner_mapped);
}

TEST(SpecJson, MissingFieldsAreTheDefaults) {
  auto s = spec_from_json_text(R"({"argv": ["true"]})");
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  SandboxSpec d;
  d.argv = {"true"};
  EXPECT_EQ(to_json(*s), to_json(d));
  // The command line's defaults are the same sandbox: the launcher's warm pool, made
  // from these defaults, serves `cordon run -- CMD`.
  auto cli =
      cli::parse_run_args({"--", "true"}, [](const char*) -> const char* { return nullptr; });
  ASSERT_TRUE(cli.ok());
  EXPECT_TRUE(same_sandbox(cli->spec, d));
  EXPECT_EQ(to_json(cli->spec), to_json(d));
}

TEST(SpecJson, RefusesWhatIsNotASpec) {
  struct Case {
    const char* text;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"argv": ["true"], "argvv": 1})", "argvv"},
           {R"({"argv": ["true"], "limits": {"memory": 1}})", "limits.memory"},
           {R"({"argv": ["true"], "limits": {"memory_bytes": 1}})", "memory"},
           {R"({"argv": ["true"], "limits": {"memory_bytes": -5}})", "limits.memory_bytes"},
           {R"({"argv": ["true"], "limits": {"memory_bytes": "1G"}})", "limits.memory_bytes"},
           {R"({"argv": ["true"], "uid": 4294967296})", "uid"},
           {R"({"argv": ["true"], "uid": 65536})", "uid"},
           {R"({"argv": ["true"], "argv": ["false"]})", "argv"},
           {R"({"argv": ["true"], "seccomp": {"kind": "loose"}})", "seccomp.kind"},
           {R"({"argv": ["true"], "seccomp": {"kind": "file", "path": "rel.json"}})", "seccomp"},
           {R"({"argv": ["true"], "rootfs": "images/x"})", "rootfs"},
           {R"({"argv": ["true"], "binds": [{"source": "/a", "target": "/b", "ro": true}]})",
            "binds[].ro"},
           {R"({"argv": ["true"], "binds": [{"source": "/a", "target": "/b", "owner": "U"}]})",
            "binds[].owner"},
           {R"({"argv": ["true"], "binds": [{"source": "/a", "target": "/b", "owner": true}]})",
            "binds[].owner"},
           {R"({"argv": ["true"], "binds": [{"source": "/a", "target": "/b",
                "owned_by_sandbox": 1}]})",
            "binds[].owned_by_sandbox"},
           // A tree handed to the sandbox is writable, and is not owner-mapped as well.
           {R"({"argv": ["true"], "binds": [{"source": "/a", "target": "/b",
                "owned_by_sandbox": true}]})",
            "bind"},
           {R"({"argv": ["true"], "binds": [{"source": "/a", "target": "/b", "writable": true,
                "owned_by_sandbox": true, "owner": "owner"}]})",
            "bind"},
           // What the preflight decides never comes from the caller.
           {R"({"argv": ["true"], "binds": [{"source": "/a", "target": "/b", "mapping": {}}]})",
            "binds[].mapping"},
           {R"({"argv": ["true"], "env": [{"name": "A"}, {"name": "1B", "value": ""}]})", "env"},
           {R"({"argv": ["true"], "caps": "all"})", "caps"},
           {R"({"argv": [1]})", "argv"},
           {R"([])", ""},
           {R"({"argv": ["true"])", "spec"},
       }) {
    auto s = spec_from_json_text(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.error().to_string().find(c.field), std::string::npos)
        << c.text << " -> " << s.error().to_string();
  }
  EXPECT_FALSE(spec_from_json_text(std::string(kMaxSpecJsonBytes + 1, ' ')).ok());
}

}  // namespace
}  // namespace cordon::spec
