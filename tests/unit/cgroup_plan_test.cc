// plan/cgroup_plan.h: the limit writes of each cgroup backend, and /proc/self/cgroup.
#include "plan/cgroup_plan.h"

#include <gtest/gtest.h>

#include "cli/run_cli.h"
#include "base/parse.h"

namespace cordon::plan {
namespace {

std::map<std::string, std::string> by_file(const std::vector<CgroupWrite>& writes) {
  std::map<std::string, std::string> m;
  for (const auto& w : writes) m[w.controller + "/" + w.file] = w.value;
  return m;
}

TEST(CgroupPlan, V1WritesEveryLimit) {
  spec::Limits l;
  l.memory_bytes = 64 << 20;
  l.pids = 100;
  l.cpu_millis = 1500;
  l.cpu_weight = 200;
  auto m = by_file(cgroup_writes_v1(l));
  EXPECT_EQ(m["memory/memory.limit_in_bytes"], std::to_string(64 << 20));
  EXPECT_EQ(m["memory/memory.memsw.limit_in_bytes"], std::to_string(64 << 20));  // no swap
  EXPECT_EQ(m["memory/memory.swappiness"], "0");
  // Socket buffers: charged (and bounded like memory) only once written, on v1.
  EXPECT_EQ(m["memory/memory.kmem.tcp.limit_in_bytes"], std::to_string(64 << 20));
  for (const auto& w : cgroup_writes_v1(l)) {
    if (w.file == "memory.kmem.tcp.limit_in_bytes") {
      EXPECT_FALSE(w.optional || w.kernel_default);
    }
  }
  EXPECT_EQ(m["pids/pids.max"], "100");
  EXPECT_EQ(m["cpu/cpu.cfs_period_us"], "100000");
  EXPECT_EQ(m["cpu/cpu.cfs_quota_us"], "150000");
  EXPECT_EQ(m["cpu/cpu.shares"], "2048");
}

TEST(CgroupPlan, V1MemoryLimitComesBeforeMemsw) {
  auto w = cgroup_writes_v1(spec::Limits{});
  size_t limit = 0, memsw = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i].file == "memory.limit_in_bytes") limit = i;
    if (w[i].file == "memory.memsw.limit_in_bytes") memsw = i;
  }
  EXPECT_LT(limit, memsw);
  // memsw is optional: kernels without swap accounting have no such file.
  EXPECT_TRUE(w[memsw].optional);
}

TEST(CgroupPlan, SwapAllowedOnlyWhenAsked) {
  spec::Limits l;
  l.memory_bytes = 100;
  l.memory_swap_bytes = 300;
  auto v1 = by_file(cgroup_writes_v1(l));
  EXPECT_EQ(v1["memory/memory.memsw.limit_in_bytes"], "300");
  EXPECT_EQ(v1.count("memory/memory.swappiness"), 0u);
  auto v2 = by_file(cgroup_writes_v2(l));
  EXPECT_EQ(v2["/memory.swap.max"], "200");
  EXPECT_EQ(by_file(cgroup_writes_v2(spec::Limits{}))["/memory.swap.max"], "0");
}

TEST(CgroupPlan, V2WritesEveryLimitAndGroupOom) {
  spec::Limits l;
  l.memory_bytes = 1 << 30;
  l.pids = 7;
  l.cpu_millis = 250;
  l.cpu_weight = 50;
  auto m = by_file(cgroup_writes_v2(l));
  EXPECT_EQ(m["/memory.max"], std::to_string(1 << 30));
  EXPECT_EQ(m["/memory.oom.group"], "1");
  EXPECT_EQ(m["/pids.max"], "7");
  EXPECT_EQ(m["/cpu.max"], "25000 100000");
  EXPECT_EQ(m["/cpu.weight"], "50");
  EXPECT_EQ(m.count("/io.max"), 0u);
  EXPECT_EQ(v2_controllers(l), (std::vector<std::string>{"memory", "pids", "cpu"}));
}

TEST(CgroupPlan, IoLimitsPerBackend) {
  spec::Limits l;
  l.io.push_back({"/dev/vda", 254, 0, 1048576, 0});
  auto v2 = cgroup_writes_v2(l);
  EXPECT_EQ(by_file(v2)["/io.max"], "254:0 rbps=1048576 wbps=max");
  EXPECT_EQ(v2_controllers(l).back(), "io");
  auto v1 = by_file(cgroup_writes_v1(l));
  EXPECT_EQ(v1["blkio/blkio.throttle.read_bps_device"], "254:0 1048576");
  EXPECT_EQ(v1.count("blkio/blkio.throttle.write_bps_device"), 0u);
}

TEST(CgroupPlan, V1JoinsOnlyTheHierarchiesTheLimitsNeed) {
  spec::Limits l;
  EXPECT_EQ(v1_controllers(l),
            (std::vector<std::string>{"memory", "pids", "cpu", "cpuacct", "freezer"}));
  l.io.push_back({"/dev/vda", 254, 0, 1, 0});
  EXPECT_EQ(v1_controllers(l),
            (std::vector<std::string>{"memory", "pids", "cpu", "cpuacct", "freezer", "blkio"}));
}

TEST(CgroupPlan, NameIsPerSlot) {
  EXPECT_EQ(cgroup_name(2147483648ull), "cordon-2147483648");
}

TEST(CgroupPlan, ParseProcCgroup) {
  auto m = parse_proc_cgroup(
      "12:pids:/user.slice\n4:cpu,cpuacct:/a/b\n3:name=systemd:/init.scope\n0::/work\n");
  EXPECT_EQ(m["pids"], "/user.slice");
  EXPECT_EQ(m["cpu"], "/a/b");
  EXPECT_EQ(m["cpuacct"], "/a/b");
  EXPECT_EQ(m["name=systemd"], "/init.scope");
  EXPECT_EQ(m[""], "/work");
  EXPECT_TRUE(parse_proc_cgroup("garbage\n").empty());
}

TEST(ParseMilli, Cpus) {
  EXPECT_EQ(parse_milli("1.5").value(), 1500u);
  EXPECT_EQ(parse_milli("0.25").value(), 250u);
  EXPECT_EQ(parse_milli("2").value(), 2000u);
  EXPECT_EQ(parse_milli("0.001").value(), 1u);
  EXPECT_FALSE(parse_milli("0.0001").ok());
  EXPECT_FALSE(parse_milli("1.5x").ok());
  EXPECT_FALSE(parse_milli("-1").ok());
  EXPECT_FALSE(parse_milli("").ok());
}

const char* no_env(const char*) { return nullptr; }

TEST(RunCliLimits, EveryLimitOptionReachesTheSpec) {
  auto r = cli::parse_run_args(
      {"--memory", "64M", "--memory-swap=128M", "--pids", "99", "--cpus", "0.5", "--cpu-weight",
       "300", "--time", "1m", "--cpu-time", "10s", "--output-limit", "1K", "--nofile", "77",
       "--fsize", "2M", "--io-read-bps", "/dev/vda:1M", "--io-write-bps", "/dev/vda:2M",
       "--cgroup-parent", "/jobs", "true"},
      no_env);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const spec::Limits& l = r->spec.limits;
  EXPECT_EQ(l.memory_bytes, 64u << 20);
  EXPECT_EQ(*l.memory_swap_bytes, 128u << 20);
  EXPECT_EQ(l.pids, 99u);
  EXPECT_EQ(l.cpu_millis, 500u);
  EXPECT_EQ(l.cpu_weight, 300u);
  EXPECT_EQ(l.wall_ns, 60'000'000'000u);
  EXPECT_EQ(l.cpu_time_ns, 10'000'000'000u);
  EXPECT_EQ(l.output_bytes, 1024u);
  EXPECT_EQ(l.nofile, 77u);
  EXPECT_EQ(l.fsize_bytes, 2u << 20);
  ASSERT_EQ(l.io.size(), 1u);  // one device, both rates
  EXPECT_EQ(l.io[0].device, "/dev/vda");
  EXPECT_EQ(l.io[0].read_bps, 1u << 20);
  EXPECT_EQ(l.io[0].write_bps, 2u << 20);
  EXPECT_EQ(r->spec.cgroup_parent, "/jobs");
  EXPECT_TRUE(spec::validate(r->spec).ok());
}

TEST(RunCliLimits, BadValuesAreUsageErrors) {
  for (auto args : std::vector<std::vector<std::string>>{{"--memory", "x"},
                                                         {"--cpus", "one"},
                                                         {"--time", "5 s"},
                                                         {"--pids", "-1"},
                                                         {"--io-read-bps", "1M"},
                                                         {"--cpu-weight", "10001"}}) {
    args.push_back("true");
    EXPECT_FALSE(cli::parse_run_args(args, no_env).ok()) << args[0] << " " << args[1];
  }
}

TEST(SpecLimits, MinimumsAreRefused) {
  spec::Limits ok;
  EXPECT_TRUE(spec::validate_limits(ok).ok());
  auto bad = [](auto mutate) {
    spec::Limits l;
    mutate(l);
    return !spec::validate_limits(l).ok();
  };
  EXPECT_TRUE(bad([](spec::Limits& l) { l.memory_bytes = 1 << 20; }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.memory_swap_bytes = 1; }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.pids = 3; }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.cpu_millis = 9; }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.cpu_weight = 0; }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.wall_ns = 999; }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.cpu_time_ns = 5; }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.output_bytes = 0; }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.nofile = 15; }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.io.push_back({"dev/x", 0, 0, 1, 0}); }));
  EXPECT_TRUE(bad([](spec::Limits& l) { l.io.push_back({"/dev/x", 0, 0, 0, 0}); }));
  EXPECT_FALSE(bad([](spec::Limits& l) { l.cpu_time_ns = 0; }));  // 0: no CPU time limit
}

}  // namespace
}  // namespace cordon::plan
