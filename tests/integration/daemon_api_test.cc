// The daemon's API, from outside: who reaches what, what bad input gets, quotas, metrics,
// TLS on TCP, uploads, and the configuration. A real daemon, real HTTP.
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <thread>

#include "client/transport.h"
#include "daemon_harness.h"
#include "harness.h"
#include "sys/socket.h"
#include "test_certificate.h"

namespace cordon::testing {
namespace {

using nlohmann::json;

TEST(DaemonApi, TenantsReachOnlyTheirOwnJobsOnEveryRoute) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string a = d.tenant("alpha");
  std::string b = d.tenant("beta");
  ASSERT_NE(a, b);
  EXPECT_GE(a.size(), 4u + 43u);  // "cdt_" and 256 bits in base64url
  std::string id = d.submit(a, sh_job("echo secret > s; echo out"));
  ASSERT_EQ(d.wait_ended(a, id)["state"], "succeeded");
  // Every job route answers beta exactly as for a job that does not exist.
  std::string none = "j-000000000000000000000000";
  struct R {
    const char* method;
    std::string suffix;
  };
  for (const R& r : {R{"GET", ""}, R{"GET", "/logs"}, R{"GET", "/logs?follow=1"},
                     R{"GET", "/files/s"}, R{"POST", "/cancel"}, R{"DELETE", ""}}) {
    auto theirs = d.call(r.method, "/v1/jobs/" + id + r.suffix, "", b);
    auto missing = d.call(r.method, "/v1/jobs/" + none + r.suffix, "", b);
    EXPECT_EQ(theirs.status, 404) << r.method << " " << r.suffix << ": " << theirs.body;
    EXPECT_EQ(theirs.body, missing.body) << r.method << " " << r.suffix;
  }
  EXPECT_TRUE(d.call("GET", "/v1/jobs", "", b).json["jobs"].empty());
  EXPECT_EQ(d.call("GET", "/v1/jobs", "", a).json["jobs"].size(), 1u);
  // The job is still there for its owner and for the operator.
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/files/s", "", a).body, "secret\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id).status, 200);
  // A tenant on the operator's routes learns nothing; on another tenant's record neither.
  EXPECT_EQ(d.call("GET", "/v1/tenants", "", a).status, 404);
  EXPECT_EQ(d.call("POST", "/v1/tenants", R"({"name":"evil"})", a).status, 404);
  EXPECT_EQ(d.call("POST", "/v1/tenants/alpha/tokens", "", a).status, 404);
  EXPECT_EQ(d.call("GET", "/metrics", "", a).status, 404);
  EXPECT_EQ(d.call("GET", "/v1/tenants/beta", "", a).status, 404);
  EXPECT_EQ(d.call("GET", "/v1/tenants/alpha", "", a).status, 200);
  // No token, a bad token, a malformed header: 401.
  for (const std::string& t : {std::string("cdt_nope"), a + "x"})
    EXPECT_EQ(d.call("GET", "/v1/jobs", "", t).status, 401);
  EXPECT_EQ(d.call("GET", "/v1/jobs", "", "", {{"Authorization", "Basic Zm9vOmJhcg=="}}).status,
            401);
  // Tokens are stored hashed: the secret is nowhere in the state folder.
  std::string db =
      read_file(d.state_dir() + "/cordon.db") + read_file(d.state_dir() + "/cordon.db-wal");
  EXPECT_EQ(db.find(a.substr(4)), std::string::npos);
  // A revoked token is refused from then on.
  json tokens = d.call("GET", "/v1/tenants/beta/tokens").json;
  ASSERT_EQ(tokens["tokens"].size(), 1u);
  std::string kid = tokens["tokens"][0]["id"];
  EXPECT_EQ(d.call("DELETE", "/v1/tenants/beta/tokens/" + kid).status, 200);
  EXPECT_EQ(d.call("GET", "/v1/jobs", "", b).status, 401);
}

TEST(DaemonApi, NonRootOnTheSocketNeedsAToken) {
  REQUIRE_ROOT();
  Daemon d({"--socket-mode", "0666"});
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(::chmod(d.dir().c_str(), 0755),
            0);  // the test's folder, so that nobody reaches the socket
  // A child as nobody: the same socket, no token. Its exit status is the HTTP status - 300.
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0)
      ::_exit(99);
    client::Endpoint ep;
    ep.unix_path = d.socket();
    auto c = client::Transport::create(ep, 5000);
    if (!c.ok()) ::_exit(98);
    auto r = c->request("GET", "/v1/tenants", {}, "");
    ::_exit(r.ok() ? r->status - 300 : 97);
  }
  ASSERT_GT(pid, 0);
  EXPECT_EQ(wait_exit(pid), 101);  // 401: the operator's routes need root or a token
  EXPECT_EQ(d.call("GET", "/v1/tenants").status, 200);  // root, the same request
  // The socket's group, when configured, is the one named (here: nogroup, 65534).
  Daemon g({"--socket-group", "nogroup"});
  ASSERT_TRUE(g.start()) << g.log();
  struct stat st;
  ASSERT_EQ(::stat(g.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST(DaemonApi, BadInputGetsAStatusAndANamedField) {
  REQUIRE_ROOT();
  Daemon d({"--header-timeout", "500ms"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string t = d.tenant("alpha", {{"job_memory", "256M"}});
  auto post = [&](const std::string& body) { return d.call("POST", "/v1/jobs", body, t); };
  auto bad_json = post("{\"command\": [");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_TRUE(bad_json.json["error"]["message"].is_string());
  auto unknown = post(R"({"command":["true"],"limits":{"memroy":"1G"}})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.json["error"]["field"], "limits.memroy");
  EXPECT_EQ(post(R"({"command":["true"],"colour":1})").json["error"]["field"], "colour");
  auto over = post(R"({"command":["true"],"limits":{"memory":"512M"}})");
  EXPECT_EQ(over.status, 422);
  EXPECT_EQ(over.json["error"]["field"], "limits.memory");
  EXPECT_EQ(post(R"({"command":[]})").json["error"]["field"], "command");
  EXPECT_EQ(
      post(R"({"command":["true"],"files":[{"path":"../x","content":""}]})").json["error"]["field"],
      "files[0].path");
  EXPECT_EQ(post(std::string(2u << 20, ' ')).status, 413);
  EXPECT_EQ(d.call("GET", "/v1/jobs/j-nope", "", t).status, 404);
  EXPECT_EQ(d.call("GET", "/v1/jobs?state=bogus", "", t).json["error"]["field"], "state");
  auto put = d.call("PUT", "/v1/jobs", "", t);
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.header("allow"), "POST, GET");  // the methods the path has
  EXPECT_EQ(d.call("GET", "/v2/nothing", "", t).status, 404);
  // The operator's methods on a path a tenant may read are not told to the tenant: 404
  // as documented, and no Allow naming them.
  for (const char* method : {"PATCH", "DELETE"}) {
    auto hidden = d.call(method, "/v1/tenants/alpha", "{}", t);
    EXPECT_EQ(hidden.status, 404) << method;
    EXPECT_EQ(hidden.header("allow"), "") << method;
  }
  auto tenant_put = d.call("PUT", "/v1/tenants/alpha", "{}", t);
  EXPECT_EQ(tenant_put.status, 405);
  EXPECT_EQ(tenant_put.header("allow"), "GET");
  EXPECT_EQ(d.call("PUT", "/v1/tenants/alpha", "{}").header("allow"), "GET, PATCH, DELETE");
  auto dup = d.call("POST", "/v1/tenants", R"({"name":"alpha"})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(d.call("POST", "/v1/tenants", R"({"name":"Bad Name"})").json["error"]["field"], "name");
  EXPECT_EQ(
      d.call("PATCH", "/v1/tenants/alpha", R"({"quota":{"max_runing":2}})").json["error"]["field"],
      "quota.max_runing");
  // A slow client is cut off: it sends half a request and stalls.
  auto fd = sys::connect_unix_stream(d.socket());
  ASSERT_TRUE(fd.ok());
  std::string half = "GET /v1/jobs HTTP/1.1\r\nHost: x\r\n";
  ASSERT_EQ(::write(fd->get(), half.data(), half.size()), static_cast<ssize_t>(half.size()));
  std::string reply;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof(buf));
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(reply.rfind("HTTP/1.1 408", 0), 0u) << reply;
  // The daemon still serves.
  EXPECT_EQ(d.call("GET", "/v1/jobs", "", t).status, 200);
}

TEST(DaemonApi, QuotasRefuseOrQueueAsTheTenantSays) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string strict = d.tenant("strict", {{"max_running", 1}, {"queue_when_busy", false}});
  std::string patient = d.tenant("patient", {{"max_running", 1}, {"max_queued", 2}});
  std::string slow = d.tenant("slow", {{"rate_per_minute", 2}});
  // strict: a second job while one runs is refused, naming the quota.
  std::string first = d.submit(strict, sh_job("sleep 2"));
  ASSERT_TRUE(d.wait_state(strict, first, "running"));
  auto refused = d.call("POST", "/v1/jobs", sh_job("true").dump(), strict);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.json["error"]["field"], "max_running");
  EXPECT_FALSE(refused.header("retry-after").empty());
  // patient: the second waits in the queue, the fourth is over max_queued.
  std::string p1 = d.submit(patient, sh_job("sleep 1"));
  ASSERT_TRUE(d.wait_state(patient, p1, "running"));
  std::string p2 = d.submit(patient, sh_job("echo two"));
  std::string p3 = d.submit(patient, sh_job("echo three"));
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + p2, "", patient).json["state"], "queued");
  auto full = d.call("POST", "/v1/jobs", sh_job("true").dump(), patient);
  EXPECT_EQ(full.status, 429);
  EXPECT_EQ(full.json["error"]["field"], "max_queued");
  EXPECT_EQ(d.wait_ended(patient, p2)["state"], "succeeded");
  EXPECT_EQ(d.wait_ended(patient, p3)["state"], "succeeded");
  // Never two at once: p2 started after p1 ended.
  json j1 = d.call("GET", "/v1/jobs/" + p1, "", patient).json;
  json j2 = d.call("GET", "/v1/jobs/" + p2, "", patient).json;
  EXPECT_GE(j2["timestamps"]["running"].get<std::string>(),
            j1["timestamps"]["succeeded"].get<std::string>());
  // slow: the third submission within a minute is over the rate.
  d.submit(slow, sh_job("true"));
  d.submit(slow, sh_job("true"));
  auto rated = d.call("POST", "/v1/jobs", sh_job("true").dump(), slow);
  EXPECT_EQ(rated.status, 429);
  EXPECT_EQ(rated.json["error"]["field"], "rate_per_minute");
  // Refusals leave nothing behind: once its jobs ended, the tenant can be deleted.
  ASSERT_TRUE(wait_until(10000, [&] {
    return d.call("GET", "/v1/jobs?state=queued", "", slow).json["jobs"].empty() &&
           d.call("GET", "/v1/jobs?state=running", "", slow).json["jobs"].empty();
  }));
  auto del = d.call("DELETE", "/v1/tenants/slow");
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(d.call("GET", "/v1/jobs", "", slow).status, 401);  // its token went with it
  // A job that alone is over the running totals could never start: 422.
  std::string small = d.tenant("small", {{"max_memory", "64M"}, {"job_memory", "128M"}});
  auto never = d.call("POST", "/v1/jobs",
                      json{{"command", {"true"}}, {"limits", {{"memory", "100M"}}}}.dump(), small);
  EXPECT_EQ(never.status, 422);
  EXPECT_EQ(never.json["error"]["field"], "max_memory");
}

TEST(DaemonApi, MetricsInPrometheusText) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string t = d.tenant("alpha");
  // About half a second of CPU in a shell loop, then a failure.
  std::string ok = d.submit(t, sh_job("i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"));
  std::string bad = d.submit(t, sh_job("exit 1"));
  d.wait_ended(t, ok);
  d.wait_ended(t, bad);
  // 40 MiB in the sandbox's /dev/shm (a tmpfs charged to its memory cgroup), then waits.
  json hog = sh_job("dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 2>/dev/null; sleep 5");
  hog["limits"] = {{"memory", "100M"}, {"cpus", 0.5}};
  std::string running = d.submit(t, hog);
  ASSERT_TRUE(d.wait_state(t, running, "running"));
  // What it uses, read from its cgroup, not only what it was granted.
  auto value_of = [](const std::string& body, const std::string& name) {
    size_t at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(body.substr(at + name.size() + 2));
  };
  std::string m1;
  EXPECT_TRUE(wait_until(10000, [&] {
    m1 = d.call("GET", "/metrics").body;
    return value_of(m1, "cordon_tenant_memory_used_bytes{tenant=\"alpha\"}") >= 40.0 * (1 << 20);
  })) << m1;
  EXPECT_LE(value_of(m1, "cordon_tenant_memory_used_bytes{tenant=\"alpha\"}"), 100.0 * (1 << 20));
  EXPECT_GE(value_of(m1, "cordon_tenant_cpu_seconds_total{tenant=\"alpha\"}"), 0.05) << m1;
  auto m = d.call("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.header("content-type").find("text/plain"), std::string::npos);
  const std::string& b = m.body;
  for (const char* want :
       {"cordon_jobs{tenant=\"alpha\",state=\"succeeded\"} 1",
        "cordon_jobs{tenant=\"alpha\",state=\"failed\"} 1",
        "cordon_jobs{tenant=\"alpha\",state=\"running\"} 1", "cordon_sandboxes_running 1",
        "cordon_tenant_memory_bytes{tenant=\"alpha\"} 104857600",
        "cordon_tenant_cpus{tenant=\"alpha\"} 0.5",
        "# TYPE cordon_job_start_latency_seconds histogram",
        "cordon_job_start_latency_seconds_count 2",
        "cordon_job_queue_wait_seconds_bucket{le=\"+Inf\"} 3"})
    EXPECT_NE(b.find(want), std::string::npos) << want << "\n" << b;
  // Every sample line is NAME{LABELS} VALUE or NAME VALUE.
  std::regex sample(R"(^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$)");
  size_t start = 0;
  while (start < b.size()) {
    size_t end = b.find('\n', start);
    std::string line = b.substr(start, end - start);
    if (!line.empty() && line[0] != '#') {
      EXPECT_TRUE(std::regex_match(line, sample)) << line;
    }
    start = end + 1;
  }
  d.call("POST", "/v1/jobs/" + running + "/cancel", "", t);
}

TEST(DaemonApi, TcpServesOnlyOverTlsWithATokenWhenConfigured) {
  REQUIRE_ROOT();
  TempDir certs;
  TestCertificate made = make_test_certificate(certs.path());
  if (!made.ok()) GTEST_SKIP() << made.error;
  const std::string& key = made.key;
  const std::string& cert = made.cert;
  // Plain TCP is refused unless asked for by name.
  {
    Daemon plain({"--listen", "127.0.0.1:0"});
    EXPECT_FALSE(plain.start());
    EXPECT_NE(plain.log().find("tls_cert"), std::string::npos) << plain.log();
  }
  Daemon d({"--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key});
  ASSERT_TRUE(d.start()) << d.log();
  std::string t = d.tenant("alpha");
  std::smatch m;
  std::string log;
  // The Unix socket answers first; the TCP listener's line follows.
  ASSERT_TRUE(wait_until(5000, [&] {
    log = d.log();
    return std::regex_search(log, m, std::regex(R"(127\.0\.0\.1:(\d+) \(TLS\))"));
  })) << log;
  client::Endpoint ep;
  ep.host = "127.0.0.1";
  ep.port = std::stoi(m[1]);
  ep.tls = true;
  ep.ca_file = cert;
  auto c = client::Transport::create(ep, 5000);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  auto no_token = c->request("GET", "/v1/tenants", {}, "");
  ASSERT_TRUE(no_token.ok());
  EXPECT_EQ(no_token->status, 401);  // root counts only on the Unix socket
  auto job = c->request("POST", "/v1/jobs", {{"Authorization", "Bearer " + t}},
                        sh_job("echo over-tls").dump());
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, 201) << job->body;
  std::string id = json::parse(job->body)["id"];
  EXPECT_EQ(d.wait_ended(t, id)["state"], "succeeded");
  auto logs = c->request("GET", "/v1/jobs/" + id + "/logs", {{"Authorization", "Bearer " + t}}, "");
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(logs->body, "over-tls\n");
  // A client that does not trust the certificate does not get through.
  client::Endpoint untrusted = ep;
  untrusted.ca_file = "/etc/ssl/certs/ca-certificates.crt";
  auto u = client::Transport::create(untrusted, 5000);
  if (u.ok()) {
    EXPECT_FALSE(u->request("GET", "/v1/jobs", {{"Authorization", "Bearer " + t}}, "").ok());
  }
}

TEST(DaemonApi, UploadedTarIsUnpackedIntoTheWorkspace) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string t = d.tenant("alpha");
  TempDir src;
  ASSERT_EQ(
      run_program({"/bin/sh", "-c",
                   "mkdir -p " + src.path() + "/in/dir && echo one > " + src.path() +
                       "/in/a.txt && echo two > " + src.path() + "/in/dir/b.txt && tar -C " +
                       src.path() + "/in -cf " + src.path() + "/in.tar . && ln -s /etc/passwd " +
                       src.path() + "/in/link && tar -C " + src.path() + "/in -cf " + src.path() +
                       "/bad.tar ."})
          .status,
      0);
  auto up = d.call("POST", "/v1/uploads", read_file(src.path() + "/in.tar"), t,
                   {{"Content-Type", "application/x-tar"}});
  ASSERT_EQ(up.status, 201) << up.body;
  json job = sh_job("cat a.txt dir/b.txt");
  job["upload"] = up.json["upload"];
  std::string id = d.submit(t, job);
  EXPECT_EQ(d.wait_ended(t, id)["state"], "succeeded");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/logs", "", t).body, "one\ntwo\n");
  // Used once: a second job cannot take the same upload.
  auto again = d.call("POST", "/v1/jobs", job.dump(), t);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.json["error"]["field"], "upload");
  // Another tenant cannot use it either, and an archive with a symlink is refused.
  std::string other = d.tenant("beta");
  auto up2 = d.call("POST", "/v1/uploads", read_file(src.path() + "/in.tar"), t);
  json theirs = sh_job("true");
  theirs["upload"] = up2.json["upload"];
  EXPECT_EQ(d.call("POST", "/v1/jobs", theirs.dump(), other).status, 400);
  auto bad = d.call("POST", "/v1/uploads", read_file(src.path() + "/bad.tar"), t);
  EXPECT_EQ(bad.status, 400) << bad.body;
  // Unused uploads are bounded per tenant (up2 is still waiting: 7 more fit).
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(d.call("POST", "/v1/uploads", read_file(src.path() + "/in.tar"), t).status, 201);
  auto over = d.call("POST", "/v1/uploads", read_file(src.path() + "/in.tar"), t);
  EXPECT_EQ(over.status, 429);
  EXPECT_EQ(over.json["error"]["field"], "max_uploads");
  // Only a tenant may send a large body, and only to the uploads route.
  EXPECT_EQ(d.call("POST", "/v1/uploads", std::string(2u << 20, 'x')).status, 413);
}

TEST(DaemonApi, ConfigFileKeysAndFlags) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string conf = dir.path() + "/cordon.toml";
  std::ofstream(conf) << "max_running = 3\nretention = \"48h\"\n[default_quota]\nmax_running = "
                         "2\njob_memory = \"2G\"\n";
  auto printed = run_cordon({"daemon", "--config", conf, "--max-running", "5", "--print-config"});
  ASSERT_EQ(printed.status, 0) << printed.err;
  // In the file's own keys and units.
  auto has = [](const std::string& text, const std::string& line) {
    return std::regex_search(text, std::regex("(^|\n)" + line + "\n"));
  };
  EXPECT_TRUE(has(printed.out, "max_running = 5")) << printed.out;  // the flag wins
  EXPECT_TRUE(has(printed.out, "retention = '48h'")) << printed.out;
  EXPECT_TRUE(has(printed.out, "socket_mode = '0660'")) << printed.out;
  EXPECT_TRUE(has(printed.out, "\\[default_quota\\]")) << printed.out;
  EXPECT_TRUE(has(printed.out, "job_memory = 2147483648")) << printed.out;
  // Fed back as a configuration file, it gives itself again.
  std::string again = dir.path() + "/printed.toml";
  std::ofstream(again) << printed.out;
  auto round = run_cordon({"daemon", "--config", again, "--print-config"});
  ASSERT_EQ(round.status, 0) << round.err;
  EXPECT_EQ(round.out, printed.out);
  // A field of the [default_quota] table as a flag.
  auto quota_flag = run_cordon({"daemon", "--config", conf, "--default-quota.max-running", "7",
                                "--default-quota.job_memory=512M", "--print-config"});
  ASSERT_EQ(quota_flag.status, 0) << quota_flag.err;
  std::string q = quota_flag.out.substr(quota_flag.out.find("[default_quota]"));
  EXPECT_TRUE(has(q, "max_running = 7")) << q;
  EXPECT_TRUE(has(q, "job_memory = 536870912")) << q;
  EXPECT_TRUE(has(q, "job_pids = 1024")) << q;  // the rest as before
  EXPECT_EQ(run_cordon({"daemon", "--default-quota.bogus", "1", "--print-config"}).status, 64);
  std::ofstream(conf) << "max_runing = 3\n";
  auto typo = run_cordon({"daemon", "--config", conf, "--print-config"});
  EXPECT_EQ(typo.status, 64);
  EXPECT_NE(typo.err.find("max_runing"), std::string::npos) << typo.err;
  std::ofstream(conf) << "max_running = \"many\"\n";
  EXPECT_EQ(run_cordon({"daemon", "--config", conf, "--print-config"}).status, 64);
  EXPECT_EQ(run_cordon({"daemon", "--config", dir.path() + "/missing.toml"}).status, 64);
  EXPECT_EQ(run_cordon({"daemon", "--bogus", "1", "--print-config"}).status, 64);
  auto help = run_cordon({"daemon", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("max_running"), std::string::npos);
}

}  // namespace
}  // namespace cordon::testing
