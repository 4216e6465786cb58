// Fair dispatch and quotas (service/scheduler.h), a job's sandbox spec (service/job_sandbox.h) and
// route matching (rest/router.h): pure code, tested exhaustively here.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>

#include "api/router.h"
#include "jobs/job_sandbox.h"
#include "jobs/scheduler.h"

namespace cordon::jobs {
namespace {

JobSpec sized(uint64_t memory_mib, uint32_t cpu_millis) {
  JobSpec s;
  s.memory = memory_mib << 20;
  s.cpu_millis = cpu_millis;
  return s;
}

TEST(Scheduler, RunningTotalsNameTheQuotaGoneOver) {
  Quota q;
  q.max_running = 2;
  q.max_memory = 1ull << 30;
  q.max_cpu_millis = 2000;
  TenantLoad load;
  EXPECT_EQ(over_running_quota(q, load, sized(512, 1000)), nullptr);
  load.running = 2;
  EXPECT_STREQ(over_running_quota(q, load, sized(1, 1)), "max_running");
  load = {1, 768ull << 20, 500, 0};
  EXPECT_STREQ(over_running_quota(q, load, sized(512, 100)), "max_memory");
  EXPECT_EQ(over_running_quota(q, load, sized(256, 1500)), nullptr);  // exactly at both caps
  EXPECT_STREQ(over_running_quota(q, load, sized(256, 1501)), "max_cpus");
}

TEST(Scheduler, LeastRecentlyServedTenantGoesFirst) {
  Quota q;
  JobSpec job = sized(64, 100);
  std::vector<Candidate> c = {{"flood", &q, {0, 0, 0, 9}, &job, 1},
                              {"late", &q, {0, 0, 0, 0}, &job, 500},
                              {"mid", &q, {0, 0, 0, 4}, &job, 2}};
  EXPECT_EQ(pick_next(c), 1u);  // never served, though its job is the newest
  c[1].load.last_served = 10;
  EXPECT_EQ(pick_next(c), 2u);
  c[2].load.last_served = 9;  // a tie: the older job
  EXPECT_EQ(pick_next(c), 0u);
}

TEST(Scheduler, TenantAtItsQuotaIsSkippedNotBlocking) {
  Quota tight;
  tight.max_running = 1;
  Quota loose;
  JobSpec job = sized(64, 100);
  std::vector<Candidate> c = {{"busy", &tight, {1, 64 << 20, 100, 0}, &job, 1},
                              {"other", &loose, {0, 0, 0, 5}, &job, 7}};
  EXPECT_EQ(pick_next(c), 1u);
  c[1].load.running = loose.max_running;
  EXPECT_EQ(pick_next(c), std::nullopt);
  EXPECT_EQ(pick_next({}), std::nullopt);
}

// A simulation of the dispatcher: one tenant with 1,000 jobs queued first, another
// submitting one job at some point; at most one flood job starts before it.
TEST(Scheduler, FloodDelaysAnotherTenantsJobByAtMostOneStart) {
  Quota q;
  q.max_running = 1000;
  q.max_queued = 100000;
  JobSpec job = sized(1, 1);
  for (int arrival = 0; arrival < 50; ++arrival) {
    std::map<std::string, std::deque<int64_t>> queues;
    std::map<std::string, uint64_t> served;
    for (int i = 0; i < 1000; ++i) queues["flood"].push_back(i);
    uint64_t dispatch = 0;
    int flood_after_arrival = -1;
    for (int step = 0; step < 1100; ++step) {
      if (step == arrival) {
        queues["one"].push_back(100000);
        flood_after_arrival = 0;
      }
      std::vector<Candidate> c;
      for (auto& [t, qu] : queues)
        if (!qu.empty()) c.push_back({t, &q, {0, 0, 0, served[t]}, &job, qu.front()});
      auto p = pick_next(c);
      if (!p) break;
      std::string t = c[*p].tenant_id;
      queues[t].pop_front();
      served[t] = ++dispatch;
      if (t == "one") break;
      if (flood_after_arrival >= 0) ++flood_after_arrival;
    }
    EXPECT_LE(flood_after_arrival, 1) << "arrival at step " << arrival;
    EXPECT_GE(flood_after_arrival, 0);
  }
}

TEST(Scheduler, RateLimiterAllowsABurstThenTheRate) {
  RateLimiter r;
  int64_t t = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(r.allow(3, t)) << i;
  EXPECT_FALSE(r.allow(3, t));
  EXPECT_FALSE(r.allow(3, t + 19'000));  // one token back every 20 s
  EXPECT_TRUE(r.allow(3, t + 20'001));
  EXPECT_FALSE(r.allow(3, t + 20'002));
  RateLimiter zero;
  EXPECT_FALSE(zero.allow(0, t));
}

TEST(JobSandbox, EveryLimitAndTheWorkspaceAreInTheSpec) {
  JobSpec j;
  j.command = {"sh", "-c", "echo --memory 1"};
  j.env = {{"A", "1=2"}};
  j.memory = 256ull << 20;
  j.cpu_millis = 500;
  j.pids = 64;
  j.disk = 8ull << 20;
  j.timeout_ns = 1'500'000'001;  // kept to the nanosecond: no text in between
  j.cpu_time_ns = 0;
  j.output = 1000;
  j.seccomp = "strict";
  JobPaths p{"/s/jobs/j-1/workspace", ""};
  spec::SandboxSpec s = job_sandbox(j, p, "");
  EXPECT_TRUE(spec::validate(s).ok());
  EXPECT_EQ(s.argv, j.command);  // whatever it looks like
  EXPECT_EQ(s.env, j.env);
  EXPECT_EQ(s.limits.memory_bytes, 256ull << 20);
  EXPECT_EQ(s.limits.cpu_millis, 500u);
  EXPECT_EQ(s.limits.pids, 64u);
  EXPECT_EQ(s.disk_bytes, 8ull << 20);
  EXPECT_EQ(s.limits.wall_ns, 1'500'000'001u);
  EXPECT_EQ(s.limits.output_bytes, 1000u);
  EXPECT_EQ(s.limits.cpu_time_ns, 0u);
  EXPECT_EQ(s.seccomp.kind, spec::SeccompChoice::Kind::kStrict);
  ASSERT_EQ(s.binds.size(), 1u);
  EXPECT_EQ(s.binds[0].source, "/s/jobs/j-1/workspace");
  EXPECT_EQ(s.binds[0].target, "/workspace");
  EXPECT_TRUE(s.binds[0].writable);
  // The job's folders are its own: the tree is handed to the sandbox's user, not mapped.
  EXPECT_TRUE(s.binds[0].owned_by_sandbox);
  EXPECT_EQ(s.binds[0].owner, spec::BindOwner::kPlain);
  EXPECT_EQ(s.workdir, "/workspace");
  EXPECT_FALSE(s.rootfs.has_value());
  EXPECT_EQ(s.cgroup_parent, "");
  j.cpu_time_ns = 2'000'000'000;
  j.seccomp = "default";
  p.image = "/images/busybox";
  s = job_sandbox(j, p, "/sys/fs/cgroup/cordon-jobs");
  EXPECT_EQ(s.limits.cpu_time_ns, 2'000'000'000u);
  EXPECT_EQ(s.rootfs, "/images/busybox");
  EXPECT_EQ(s.cgroup_parent, "/sys/fs/cgroup/cordon-jobs");
  EXPECT_EQ(s.seccomp.kind, spec::SeccompChoice::Kind::kDefault);
}

}  // namespace
}  // namespace cordon::jobs

namespace cordon::api {
namespace {

TEST(Router, TemplatesMatchSegmentsAndTheRest) {
  EXPECT_TRUE(match_path("/v1/jobs", "/v1/jobs"));
  EXPECT_FALSE(match_path("/v1/jobs", "/v1/jobs/x"));
  EXPECT_FALSE(match_path("/v1/jobs/{id}", "/v1/jobs"));
  EXPECT_FALSE(match_path("/v1/jobs/{id}", "/v1/jobs/"));
  auto p = match_path("/v1/jobs/{id}/logs", "/v1/jobs/j-1/logs");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->at("id"), "j-1");
  p = match_path("/v1/jobs/{id}/files/{path*}", "/v1/jobs/j-2/files/a/b/c.txt");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->at("id"), "j-2");
  EXPECT_EQ(p->at("path"), "a/b/c.txt");
  EXPECT_FALSE(match_path("/v1/jobs/{id}/files/{path*}", "/v1/jobs/j-2/files"));
  EXPECT_FALSE(match_path("/v1/jobs/{id}/files/{path*}", "/v1/jobs/j-2/files/"));
  EXPECT_FALSE(match_path("/v1/tenants/{tenant}/tokens/{token}", "/v1/tenants/a/tokens"));
  EXPECT_FALSE(match_path("/metrics", "/metricsx"));
  // A path starts at the root (found by fuzz/router_fuzz.cc: "a/b" matched "/{a}/{b}").
  EXPECT_FALSE(match_path("/{a}/{b}", "x/y"));
  EXPECT_FALSE(match_path("/{rest*}", "x"));
  EXPECT_FALSE(match_path("/metrics", ""));
}

}  // namespace
}  // namespace cordon::api

#include "jobs/usage.h"

namespace cordon::jobs {
namespace {

TEST(Usage, CgroupFilesOnV1V2AndHybridHosts) {
  // This machine: v1 controllers, an empty unified line.
  auto v1 =
      usage_files("4:memory:/a/b/cordon-1\n2:cpuacct:/cordon-1\n1:cpu:/cordon-1\n0::/\n", "/cg");
  ASSERT_TRUE(v1);
  EXPECT_FALSE(v1->v2);
  EXPECT_EQ(v1->memory, "/cg/memory/a/b/cordon-1/memory.usage_in_bytes");
  EXPECT_EQ(v1->cpu, "/cg/cpuacct/cordon-1/cpuacct.usage");
  // cpu and cpuacct mounted together (most v1 hosts).
  auto joint = usage_files("3:cpu,cpuacct:/x\n5:memory:/x\n", "/cg");
  ASSERT_TRUE(joint);
  EXPECT_EQ(joint->cpu, "/cg/cpu,cpuacct/x/cpuacct.usage");
  // A v2 host.
  auto v2 = usage_files("0::/cordon/sandbox-7\n", "/cg");
  ASSERT_TRUE(v2);
  EXPECT_TRUE(v2->v2);
  EXPECT_EQ(v2->memory, "/cg/cordon/sandbox-7/memory.current");
  EXPECT_EQ(v2->cpu, "/cg/cordon/sandbox-7/cpu.stat");
  // Nothing usable, or a path that climbs: none.
  EXPECT_FALSE(usage_files("", "/cg"));
  EXPECT_FALSE(usage_files("4:memory:/x\n", "/cg"));  // no cpuacct
  EXPECT_FALSE(usage_files("0::/../../etc\n", "/cg"));
}

TEST(Usage, CpuTimeFromAResult) {
  EXPECT_EQ(result_cpu_ns(R"({"accounting":{"cpu_user_ms":1.5,"cpu_system_ms":0.5}})"), 2'000'000u);
  EXPECT_EQ(result_cpu_ns(R"({"accounting":{}})"), 0u);
  EXPECT_EQ(result_cpu_ns("not json"), 0u);
  EXPECT_EQ(result_cpu_ns(""), 0u);
}

}  // namespace
}  // namespace cordon::jobs
