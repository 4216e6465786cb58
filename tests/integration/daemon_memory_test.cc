// The daemon's memory, from outside: its resident set (VmRSS of /proc/PID/status) under
// repeated large listings from many clients at once, and after them. What a burst of
// replies took must go back: the RSS returns near where it started. A real daemon, real
// HTTP.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "daemon_harness.h"
#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;

// VmRSS of a process in bytes (0 when it cannot be read).
uint64_t rss_bytes(pid_t pid) {
  std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("\nVmRSS:");
  if (at == std::string::npos) return 0;
  return std::stoull(status.substr(at + 7)) * 1024;  // "VmRSS:   11236 kB"
}

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1 << 20);
}

TEST(DaemonMemory, RssReturnsAfterRepeatedLargeListings) {
  REQUIRE_ROOT();
  Daemon d({"--max-running", "4"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha", {{"max_queued", 1000}, {"rate_per_minute", 100000}});
  // 100 ended jobs, each with its result: a page of them is a few hundred KB of JSON.
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(d.submit(tok, json{{"command", {"true"}}}));
  ASSERT_EQ(ids.size(), 100u);
  ASSERT_TRUE(wait_until(120000, [&] {
    auto q = d.call("GET", "/v1/jobs?state=queued&limit=1", "", tok).json;
    auto r = d.call("GET", "/v1/jobs?state=running&limit=1", "", tok).json;
    return q["jobs"].empty() && r["jobs"].empty();
  }));
  size_t page_bytes = d.call("GET", "/v1/jobs?limit=100", "", tok).body.size();
  const uint64_t start = rss_bytes(d.pid());
  ASSERT_GT(start, 0u);
  // 16 clients at once, each listing the 100 jobs 40 times (as a tenant and as the
  // operator): the replies are built on many HTTP workers at the same time.
  std::atomic<int> good{0}, bad{0};
  std::atomic<uint64_t> peak{start};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 40; ++i) {
        auto r = d.call("GET", "/v1/jobs?limit=100", "", c % 2 == 0 ? tok : "");
        if (r.status == 200 && r.json["jobs"].size() == 100u)
          ++good;
        else
          ++bad;
        uint64_t now = rss_bytes(d.pid());
        for (uint64_t p = peak; now > p && !peak.compare_exchange_weak(p, now);) {
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good, 640);
  EXPECT_EQ(bad, 0);
  // Once the load is over, the RSS comes back near its start (waited for, not timed).
  const uint64_t bound = start + (32u << 20);
  uint64_t after = 0;
  bool returned = wait_until(30000, [&] {
    after = rss_bytes(d.pid());
    return after > 0 && after < bound;
  });
  std::printf(
      "daemon RSS: %.1f MiB at the start, %.1f MiB at the peak of 640 listings of 100 jobs "
      "(%zu bytes each) by 16 clients, %.1f MiB after\n",
      mib(start), mib(peak), page_bytes, mib(after));
  EXPECT_TRUE(returned) << "RSS " << mib(after) << " MiB, started at " << mib(start)
                        << " MiB, peak " << mib(peak) << " MiB";
  // And it still serves.
  EXPECT_EQ(d.call("GET", "/v1/jobs?limit=100", "", tok).json["jobs"].size(), 100u);
}

}  // namespace
}  // namespace cordon::testing
