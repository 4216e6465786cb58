// The daemon's jobs, from outside: a real daemon, real sandboxes, real HTTP on its
// socket. What each test checks is seen from the host (processes, files, the API).
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "client/transport.h"
#include "daemon_harness.h"
#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;

// Host processes whose command line holds marker (the sandboxed commands of a test).
std::vector<pid_t> pids_with(const std::string& marker) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(marker) != std::string::npos && process_exists(pid)) out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

int64_t ms_of(const json& ts) {
  // "2026-11-29T19:30:00.123Z" -> ms since the epoch (UTC).
  if (!ts.is_string()) return -1;
  std::string s = ts.get<std::string>();
  struct tm tm = {};
  int ms = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
}

TEST(DaemonJobs, JobRunsWithItsFilesAndReportsLikeCordonRun) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  json job = sh_job(
      "cat in.txt; echo to-stderr >&2; id -u; pwd; echo left > out.txt; "
      "mkdir -p sub && echo deep > sub/f; ln -s /etc/shadow leak; exit 3");
  job["files"] = {{{"path", "in.txt"}, {"content", "hello input\n"}},
                  {{"path", "bin/blob"}, {"content", "AAEC/w=="}, {"encoding", "base64"}}};
  std::string id = d.submit(tok, job);
  ASSERT_FALSE(id.empty());
  json ended = d.wait_ended(tok, id);
  ASSERT_TRUE(ended.is_object()) << d.log();
  EXPECT_EQ(ended["state"], "failed");
  EXPECT_EQ(ended["exit_status"], 3);
  EXPECT_EQ(ended["reason"], "exited");
  for (const char* t : {"queued", "running", "failed"})
    EXPECT_TRUE(ended["timestamps"][t].is_string()) << t;
  // The result is what `cordon run --json` reports, with its isolation record.
  ASSERT_TRUE(ended["result"].is_object());
  EXPECT_EQ(ended["result"]["exit_status"], 3);
  EXPECT_EQ(ended["result"]["isolation"]["no_new_privs"], true);
  // Its ID slot is a host fact: the operator sees it, the tenant does not.
  EXPECT_FALSE(ended["result"].contains("id_slot"));
  json full = d.call("GET", "/v1/jobs/" + id).json;
  EXPECT_GE(full["result"]["id_slot"]["uid_base"].get<uint64_t>(), 65536u);

  auto out = d.call("GET", "/v1/jobs/" + id + "/logs", "", tok);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body, "hello input\n0\n/workspace\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/logs?stream=stderr", "", tok).body, "to-stderr\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/files/out.txt", "", tok).body, "left\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/files/sub/f", "", tok).body, "deep\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/files/bin/blob", "", tok).body,
            std::string("\0\1\2\xff", 4));
  // A symlink the job planted is never followed out of its workspace.
  auto leak = d.call("GET", "/v1/jobs/" + id + "/files/leak", "", tok);
  EXPECT_EQ(leak.status, 404) << leak.body;
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/files/..%2F..%2Fcordon.db", "", tok).status, 400);
  // The workspace tmpfs is gone from the host's mount table once the job ended.
  EXPECT_EQ(host_mountinfo().find(d.state_dir() + "/jobs/" + id), std::string::npos);
  // Deleted: its record and its files.
  EXPECT_EQ(d.call("DELETE", "/v1/jobs/" + id, "", tok).status, 200);
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id, "", tok).status, 404);
  EXPECT_NE(::access((d.state_dir() + "/jobs/" + id).c_str(), F_OK), 0);
}

TEST(DaemonJobs, WorkspaceIsCappedByTheJobsDiskLimit) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  json job = sh_job(
      "dd if=/dev/zero of=big bs=1M count=64 2>/dev/null; echo $?; ls -l big | awk '{print $5}'");
  job["limits"] = {{"disk", "8M"}};
  std::string id = d.submit(tok, job);
  json ended = d.wait_ended(tok, id);
  ASSERT_TRUE(ended.is_object());
  std::string out = d.call("GET", "/v1/jobs/" + id + "/logs", "", tok).body;
  // dd failed (no space), and the file stopped at the cap.
  EXPECT_EQ(out.substr(0, 2), "1\n") << out;
  EXPECT_LE(std::stoull(out.substr(2)), 8ull << 20) << out;
  // A sparse file claims far more than the tmpfs holds: copying its holes out would
  // write them to the host's disk. It is copied as it is, sparse: its size, not its holes.
  json sparse = sh_job("truncate -s 300M /workspace/big && echo small > /workspace/a");
  sparse["limits"] = {{"disk", "8M"}};
  std::string sid = d.submit(tok, sparse);
  json s = d.wait_ended(tok, sid);
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["reason"], "exited");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + sid + "/files/a", "", tok).body, "small\n");
  struct stat st;
  ASSERT_EQ(::stat((d.state_dir() + "/jobs/" + sid + "/files/big").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), 300ull << 20);
  auto du = run_program({"/usr/bin/du", "-sk", d.state_dir() + "/jobs/" + sid});
  EXPECT_LT(std::stoull(du.out), 9u * 1024) << du.out;
}

TEST(DaemonJobs, LogsFollowWhileTheJobRuns) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  // The first line must arrive while the job still runs (it sleeps before the second).
  std::string id = d.submit(tok, sh_job("echo first; sleep 2; echo second"));
  ASSERT_FALSE(id.empty());
  client::Endpoint ep;
  ep.unix_path = d.socket();
  auto client = client::Transport::create(ep, 30000);
  ASSERT_TRUE(client.ok());
  std::string got;
  std::string state_at_first;
  auto r = client->request("GET", "/v1/jobs/" + id + "/logs?follow=1",
                           {{"Authorization", "Bearer " + tok}}, "", [&](std::string_view chunk) {
                             if (got.empty() && !chunk.empty())
                               state_at_first =
                                   d.call("GET", "/v1/jobs/" + id, "", tok).json.value("state", "");
                             got += chunk;
                             return true;
                           });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("transfer-encoding"), "chunked");
  EXPECT_EQ(state_at_first, "running");
  EXPECT_EQ(got, "first\nsecond\n");
}

TEST(DaemonJobs, CancelKillsTheSandboxEvenIfItIgnoresSigterm) {
  REQUIRE_ROOT();
  Daemon d({"--cancel-grace", "500ms"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  std::string marker = "1000." + std::to_string(::getpid()) + "1";
  std::string id =
      d.submit(tok, sh_job("trap '' TERM HUP INT; sleep " + marker + "; echo not-reached"));
  ASSERT_TRUE(d.wait_state(tok, id, "running"));
  ASSERT_TRUE(wait_until(10000, [&] { return !pids_with("sleep " + marker).empty(); }));
  auto c = d.call("POST", "/v1/jobs/" + id + "/cancel", "", tok);
  EXPECT_EQ(c.status, 202) << c.body;
  json ended = d.wait_ended(tok, id, 15000);
  ASSERT_TRUE(ended.is_object());
  EXPECT_EQ(ended["state"], "cancelled");
  // It ignored SIGTERM, so the daemon killed it: SIGKILL as a shell reports it, never
  // 125 ("setup failed").
  EXPECT_EQ(ended["reason"], "cancelled: killed after cancel_grace");
  EXPECT_EQ(ended["exit_status"], 137) << ended;
  EXPECT_TRUE(ended["timestamps"]["cancelled"].is_string());
  // From the host: no process of the sandbox is left.
  EXPECT_TRUE(wait_until(5000, [&] { return pids_with("sleep " + marker).empty(); }));
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/logs", "", tok).body.find("not-reached"),
            std::string::npos);
  // Cancelling again: it has ended.
  EXPECT_EQ(d.call("POST", "/v1/jobs/" + id + "/cancel", "", tok).status, 409);
}

TEST(DaemonJobs, CancelledJobThatEndsOnSigtermKeepsItsOwnStatus) {
  REQUIRE_ROOT();
  Daemon d({"--cancel-grace", "10s"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  std::string marker = "1000." + std::to_string(::getpid()) + "5";
  std::string id = d.submit(tok, sh_job("exec sleep " + marker));
  ASSERT_TRUE(d.wait_state(tok, id, "running"));
  ASSERT_TRUE(wait_until(10000, [&] { return !pids_with("sleep " + marker).empty(); }));
  EXPECT_EQ(d.call("POST", "/v1/jobs/" + id + "/cancel", "", tok).status, 202);
  json ended = d.wait_ended(tok, id, 8000);  // well within the grace: no SIGKILL
  ASSERT_TRUE(ended.is_object());
  EXPECT_EQ(ended["state"], "cancelled");
  EXPECT_EQ(ended["reason"], "cancelled");
  EXPECT_EQ(ended["exit_status"], 128 + SIGTERM) << ended;
  EXPECT_EQ(ended["result"]["reason"], "signaled") << ended;
}

TEST(DaemonJobs, QueuedJobCancelledNeverRuns) {
  REQUIRE_ROOT();
  Daemon d({"--max-running", "1"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  std::string first = d.submit(tok, sh_job("sleep 1"));
  std::string second = d.submit(tok, sh_job("echo ran > /workspace/ran"));
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + second, "", tok).json["state"], "queued");
  EXPECT_EQ(d.call("POST", "/v1/jobs/" + second + "/cancel", "", tok).status, 202);
  EXPECT_EQ(d.wait_ended(tok, first)["state"], "succeeded");
  json j = d.call("GET", "/v1/jobs/" + second, "", tok).json;
  EXPECT_EQ(j["state"], "cancelled");
  EXPECT_EQ(j["reason"], "cancelled");
  EXPECT_TRUE(j["exit_status"].is_null()) << j;  // it never ran: no status of its own
  EXPECT_TRUE(j["timestamps"]["running"].is_null());
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + second + "/files/ran", "", tok).status, 404);
}

TEST(DaemonJobs, RestartAfterKill9LosesNothingWithoutARecord) {
  REQUIRE_ROOT();
  Daemon d({"--max-running", "1"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok =
      d.tenant("alpha", {{"max_running", 1}, {"job_memory", "256M"}, {"max_cpus", "2.5"}});
  std::string marker = "1000." + std::to_string(::getpid()) + "2";
  // It survives the launcher's SIGTERM and the hangup: only the recovery can end it.
  std::string running = d.submit(tok, sh_job("trap '' TERM HUP INT; sleep " + marker));
  std::vector<std::string> queued;
  for (int i = 0; i < 3; ++i)
    queued.push_back(d.submit(tok, sh_job("echo queued-" + std::to_string(i))));
  ASSERT_TRUE(d.wait_state(tok, running, "running"));
  ASSERT_TRUE(wait_until(10000, [&] { return !pids_with("sleep " + marker).empty(); }));
  d.kill9();
  ASSERT_TRUE(d.start()) << d.log();
  // The running job is lost, with the reason, and its sandbox is gone.
  json lost = d.wait_ended(tok, running, 10000);
  ASSERT_TRUE(lost.is_object());
  EXPECT_EQ(lost["state"], "lost");
  EXPECT_NE(lost["reason"].get<std::string>().find("daemon stopped"), std::string::npos)
      << lost["reason"];
  EXPECT_TRUE(lost["exit_status"].is_null()) << lost;  // never reported: none, not -1
  EXPECT_TRUE(wait_until(5000, [&] { return pids_with("sleep " + marker).empty(); }));
  // The queued ones run after the restart.
  for (size_t i = 0; i < queued.size(); ++i) {
    json j = d.wait_ended(tok, queued[i]);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["state"], "succeeded");
    EXPECT_EQ(d.call("GET", "/v1/jobs/" + queued[i] + "/logs", "", tok).body,
              "queued-" + std::to_string(i) + "\n");
  }
  // The tenant's quota came back with it, as set.
  json q = d.call("GET", "/v1/tenants/alpha").json["quota"];
  EXPECT_EQ(q["max_running"], 1);
  EXPECT_EQ(q["job_memory"], 256ull << 20);
  EXPECT_EQ(q["max_cpus"], 2.5);
  // Counted: four submitted, four records, none unfinished.
  json all = d.call("GET", "/v1/jobs?limit=100", "", tok).json;
  EXPECT_EQ(all["jobs"].size(), 4u);
  EXPECT_EQ(host_mountinfo().find(d.state_dir() + "/jobs/"), std::string::npos);
}

TEST(DaemonJobs, GracefulStopLetsJobsFinishThenKillsTheRest) {
  REQUIRE_ROOT();
  Daemon d({"--stop-grace", "2s"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  std::string marker = "1000." + std::to_string(::getpid()) + "3";
  std::string quick = d.submit(tok, sh_job("sleep 0.5; echo finished"));
  std::string stubborn = d.submit(tok, sh_job("trap '' TERM HUP INT; sleep " + marker));
  ASSERT_TRUE(d.wait_state(tok, quick, "running"));
  ASSERT_TRUE(d.wait_state(tok, stubborn, "running"));
  EXPECT_EQ(d.stop(), 0) << d.log();
  // Its supervisor was killed: the sandbox's processes die with it (PID 1's parent-death
  // signal), which takes a moment.
  EXPECT_TRUE(wait_until(5000, [&] { return pids_with("sleep " + marker).empty(); }));
  ASSERT_TRUE(d.start()) << d.log();
  json q = d.call("GET", "/v1/jobs/" + quick, "", tok).json;
  EXPECT_EQ(q["state"], "succeeded");
  json s = d.call("GET", "/v1/jobs/" + stubborn, "", tok).json;
  EXPECT_EQ(q["exit_status"], 0);
  EXPECT_EQ(s["state"], "cancelled");
  EXPECT_EQ(s["reason"], "daemon-stop: killed after the grace period") << s;
  EXPECT_EQ(s["exit_status"], 137) << s;  // SIGKILL, not 125 ("setup failed")
}

TEST(DaemonJobs, StopIsNotHeldByLogFollowers) {
  REQUIRE_ROOT();
  Daemon d({"--max-running", "1", "--stop-grace", "1s"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  std::string running = d.submit(tok, sh_job("sleep 30"));
  std::string queued = d.submit(tok, sh_job("echo never"));
  ASSERT_TRUE(d.wait_state(tok, running, "running"));
  // Followers of both: one job runs past the grace, the other never starts.
  std::vector<std::thread> followers;
  std::atomic<int> ended{0};
  for (const std::string& id : {running, queued}) {
    followers.emplace_back([&, id] {
      client::Endpoint ep;
      ep.unix_path = d.socket();
      auto c = client::Transport::create(ep, 60000);
      if (c.ok())
        (void)c->request("GET", "/v1/jobs/" + id + "/logs?follow=1",
                         {{"Authorization", "Bearer " + tok}}, "",
                         [](std::string_view) { return true; });
      ++ended;
    });
  }
  ASSERT_TRUE(wait_until(5000, [&] { return d.log().find("listening") != std::string::npos; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // both follow by now
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(d.stop(), 0) << d.log();
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(took, 20.0);  // the grace and the kill, not the 30 s job nor forever
  for (auto& f : followers) f.join();
  EXPECT_EQ(ended, 2);
}

TEST(DaemonJobs, OneTenantsFloodDoesNotDelayAnothersJob) {
  REQUIRE_ROOT();
  Daemon d({"--max-running", "1"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string flood = d.tenant("flood", {{"max_queued", 1000}, {"rate_per_minute", 100000}});
  std::string one = d.tenant("one");
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(d.submit(flood, sh_job("sleep 0.1")));
  ASSERT_TRUE(d.wait_state(flood, ids[0], "running"));
  std::string mine = d.submit(one, sh_job("true"));
  json j = d.wait_ended(one, mine, 60000);
  ASSERT_TRUE(j.is_object());
  int64_t submitted = ms_of(j["timestamps"]["queued"]);
  int64_t started = ms_of(j["timestamps"]["running"]);
  // Flood jobs that started between the submission and the start of the single job.
  int ahead = 0;
  for (const auto& id : ids) {
    json f = d.call("GET", "/v1/jobs/" + id, "", flood).json;
    int64_t s = ms_of(f["timestamps"]["running"]);
    if (s > submitted && s < started) ++ahead;
  }
  EXPECT_LE(ahead, 1) << "flood jobs started first: " << ahead;
  // The flood's other jobs were still waiting: fairness, not an empty queue.
  json rest = d.call("GET", "/v1/jobs?state=queued&limit=1000", "", flood).json;
  EXPECT_GE(rest["jobs"].size(), 20u);
  for (const auto& q : rest["jobs"])
    d.call("POST", "/v1/jobs/" + q["id"].get<std::string>() + "/cancel", "", flood);
}

TEST(DaemonJobs, LoadOfFiveHundredJobsFromTwoTenants) {
  REQUIRE_ROOT();
  Daemon d({"--max-running", "4"});
  ASSERT_TRUE(d.start()) << d.log();
  json quota = {{"max_queued", 1000}, {"rate_per_minute", 100000}};
  std::string toks[2] = {d.tenant("load-a", quota), d.tenant("load-b", quota)};
  // First, one job at a time on an idle daemon: the submit-to-start latency alone.
  std::vector<double> idle;
  for (int i = 0; i < 20; ++i) {
    json j = d.wait_ended(toks[0], d.submit(toks[0], json{{"command", {"true"}}}));
    idle.push_back(
        static_cast<double>(ms_of(j["timestamps"]["running"]) - ms_of(j["timestamps"]["queued"])));
    d.call("DELETE", "/v1/jobs/" + j["id"].get<std::string>(), "", toks[0]);
  }
  std::sort(idle.begin(), idle.end());
  // And from the metrics: leaving the queue to the command's exec, on average.
  auto metric = [&](const std::string& body, const std::string& name) {
    size_t at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(body.substr(at + name.size() + 2));
  };
  std::string idle_metrics = d.call("GET", "/metrics").body;
  double idle_start_ms = 1000 * metric(idle_metrics, "cordon_job_start_latency_seconds_sum") /
                         metric(idle_metrics, "cordon_job_start_latency_seconds_count");
  std::vector<std::string> ids[2];
  auto t0 = std::chrono::steady_clock::now();
  std::thread submitters[2];
  for (int t = 0; t < 2; ++t) {
    submitters[t] = std::thread([&, t] {
      for (int i = 0; i < 250; ++i) {
        auto r = d.call("POST", "/v1/jobs", json{{"command", {"true"}}}.dump(), toks[t]);
        if (r.status == 201) ids[t].push_back(r.json["id"]);
      }
    });
  }
  for (auto& s : submitters) s.join();
  ASSERT_EQ(ids[0].size() + ids[1].size(), 500u);
  std::vector<double> waits;
  int64_t first_queued = INT64_MAX, last_end = 0;
  size_t succeeded = 0;
  int pages = 0;
  for (int t = 0; t < 2; ++t) {
    ASSERT_TRUE(wait_until(300000, [&] {
      json q = d.call("GET", "/v1/jobs?state=queued&limit=1", "", toks[t]).json;
      json r = d.call("GET", "/v1/jobs?state=running&limit=1", "", toks[t]).json;
      return q["jobs"].empty() && r["jobs"].empty();
    }));
    std::string after;
    for (;;) {
      ++pages;
      json page = d.call("GET", "/v1/jobs?limit=100" + after, "", toks[t]).json;
      for (const auto& j : page["jobs"]) {
        if (j["state"] == "succeeded") ++succeeded;
        int64_t q = ms_of(j["timestamps"]["queued"]);
        waits.push_back(static_cast<double>(ms_of(j["timestamps"]["running"]) - q));
        first_queued = std::min(first_queued, q);
        last_end = std::max(last_end, ms_of(j["timestamps"]["succeeded"]));
      }
      if (page["next"].is_null()) break;
      after = "&after=" + page["next"].get<std::string>();
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(succeeded, 500u);
  EXPECT_EQ(waits.size(), 500u);  // every page read: none missing, none twice
  EXPECT_EQ(pages, 6);            // 250 per tenant, 100 a page
  std::sort(waits.begin(), waits.end());
  double span = static_cast<double>(last_end - first_queued) / 1000.0;
  std::printf(
      "load: 500 jobs from 2 tenants, %zu succeeded; %.1f jobs/s (first submission to last end, "
      "%.2f s; test %.2f s); submit-to-start median %.0f ms, p90 %.0f ms, max %.0f ms\n",
      succeeded, 500.0 / span, span, secs, waits[waits.size() / 2], waits[waits.size() * 9 / 10],
      waits.back());
  std::printf(
      "idle: one job at a time (20): submit to dispatch median %.0f ms, max %.0f ms; "
      "dispatch to the command's exec %.1f ms on average\n",
      idle[idle.size() / 2], idle.back(), idle_start_ms);
  auto metrics = d.call("GET", "/metrics");
  EXPECT_NE(metrics.body.find("cordon_jobs{tenant=\"load-a\",state=\"succeeded\"} 250"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("cordon_job_start_latency_seconds_count 520"), std::string::npos);
}

TEST(DaemonJobs, KilledSupervisorOrLauncherNeverTakesTheDaemonDown) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  std::string marker = "1000." + std::to_string(::getpid()) + "4";
  std::string id = d.submit(tok, sh_job("sleep " + marker));
  ASSERT_TRUE(d.wait_state(tok, id, "running"));
  ASSERT_TRUE(wait_until(10000, [&] { return !pids_with("sleep " + marker).empty(); }));
  // The daemon's one child is its launcher; the launcher's children are supervisors.
  auto launchers = children_of(d.pid());
  ASSERT_EQ(launchers.size(), 1u);
  auto supervisors = children_of(launchers[0]);
  ASSERT_EQ(supervisors.size(), 1u);
  ASSERT_EQ(::kill(supervisors[0], SIGKILL), 0);
  json ended = d.wait_ended(tok, id, 10000);
  ASSERT_TRUE(ended.is_object());
  EXPECT_EQ(ended["state"], "failed");
  EXPECT_EQ(ended["reason"], "killed");
  // Not by the daemon: how the sandbox ended was never reported, so no status.
  EXPECT_TRUE(ended["exit_status"].is_null()) << ended;
  EXPECT_TRUE(wait_until(5000, [&] { return pids_with("sleep " + marker).empty(); }));
  EXPECT_TRUE(process_exists(d.pid()));
  // The launcher itself killed: a new one is started, and jobs run again.
  ASSERT_EQ(::kill(launchers[0], SIGKILL), 0);
  ASSERT_TRUE(wait_until(5000, [&] {
    auto now = children_of(d.pid());
    return now.size() == 1 && now[0] != launchers[0];
  })) << d.log();
  std::string again = d.submit(tok, sh_job("echo again"));
  json j = d.wait_ended(tok, again);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["state"], "succeeded") << j.dump();
  EXPECT_NE(d.log().find("the launcher exited"), std::string::npos) << d.log();
}

TEST(DaemonJobs, LogsAreCappedPerTenantAndExpireAfterRetention) {
  REQUIRE_ROOT();
  Daemon d({"--retention", "3s"});
  ASSERT_TRUE(d.start()) << d.log();
  // Each job keeps 20 KB of stdout, its result and its folders. What that holds on this
  // disk (du: the blocks, as the quota counts them) is measured on the first; the tenant
  // may then keep two and a half jobs' worth.
  std::string tok = d.tenant("alpha");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(d.submit(tok, sh_job("head -c 20000 /dev/zero")));
    ASSERT_EQ(d.wait_ended(tok, ids.back())["state"], "succeeded");
    if (i > 0) continue;
    auto du = run_program({"/usr/bin/du", "-sB1", d.state_dir() + "/jobs/" + ids[0]});
    uint64_t one = std::stoull(du.out);
    ASSERT_GE(one, 20000u) << du.out;
    auto patched =
        d.call("PATCH", "/v1/tenants/alpha", json{{"quota", {{"log_bytes", one * 5 / 2}}}}.dump());
    ASSERT_EQ(patched.status, 200) << patched.body;
  }
  // The third took the tenant over its cap: the oldest job's files went.
  EXPECT_TRUE(wait_until(5000, [&] {
    return d.call("GET", "/v1/jobs/" + ids[0], "", tok).json.value("files_expired", false);
  }));
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + ids[1], "", tok).json["files_expired"], false);
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + ids[0] + "/logs", "", tok).status, 410);
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + ids[2] + "/logs", "", tok).body.size(), 20000u);
  // After the retention period every finished job's files are gone; the records stay.
  EXPECT_TRUE(wait_until(10000, [&] {
    return d.call("GET", "/v1/jobs/" + ids[2], "", tok).json.value("files_expired", false);
  }));
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + ids[2] + "/logs", "", tok).status, 410);
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + ids[2], "", tok).json["state"], "succeeded");
  EXPECT_NE(::access((d.state_dir() + "/jobs/" + ids[2]).c_str(), F_OK), 0);
}

TEST(DaemonJobs, RootfsNamesAnImageUnderTheImagesFolder) {
  REQUIRE_ROOT();
  std::string busybox = find_busybox();
  if (busybox.empty()) GTEST_SKIP() << "needs busybox-static (scripts/setup.sh installs it)";
  Daemon d;
  make_image(d.dir() + "/images/bb", busybox);
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  json job = {{"command", {"sh", "-c", "cat /etc/image-file in.txt; echo made > out.txt"}},
              {"rootfs", "bb"},
              {"files", {{{"path", "in.txt"}, {"content", "input\n"}}}}};
  std::string id = d.submit(tok, job);
  json ended = d.wait_ended(tok, id);
  ASSERT_TRUE(ended.is_object());
  EXPECT_EQ(ended["state"], "succeeded")
      << d.call("GET", "/v1/jobs/" + id + "/logs?stream=stderr", "", tok).body;
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/logs", "", tok).body, "from-image\ninput\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/files/out.txt", "", tok).body, "made\n");
  EXPECT_EQ(ended["rootfs"], "bb");
  // An image that is not there is refused at submission (422), not at the start; a
  // path is not a name (400).
  auto missing =
      d.call("POST", "/v1/jobs", json{{"command", {"true"}}, {"rootfs", "nope"}}.dump(), tok);
  EXPECT_EQ(missing.status, 422) << missing.body;
  EXPECT_EQ(missing.json["error"]["field"], "rootfs");
  EXPECT_NE(missing.json["error"]["message"].get<std::string>().find("nope"), std::string::npos);
  auto path =
      d.call("POST", "/v1/jobs", json{{"command", {"true"}}, {"rootfs", "../../etc"}}.dump(), tok);
  EXPECT_EQ(path.status, 400);
  EXPECT_EQ(path.json["error"]["field"], "rootfs");
}

}  // namespace
}  // namespace cordon::testing
