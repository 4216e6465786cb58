// `cordon job` over what the unit tests of client/transport cannot reach: https to a real
// daemon (its CA from --ca or CORDON_CA, the certificate verified, a followed log over
// TLS), cordon-client run directly, and the static cordon's hand-over to cordon-client
// (found beside it; a clear 69 when it is missing).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_harness.h"
#include "harness.h"
#include "test_certificate.h"

namespace cordon::testing {
namespace {

std::string client_binary() {
  std::string c = cordon_binary();
  return c.substr(0, c.rfind('/') + 1) + "cordon-client";
}

// ARGV with only PATH and HOME in the environment (and env): nothing of the caller's
// CORDON_* or proxies.
RunOut clean_run(const std::vector<std::string>& argv, const std::string& home,
                 const std::vector<std::string>& env = {}) {
  std::vector<std::string> full = {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=" + home};
  full.insert(full.end(), env.begin(), env.end());
  full.insert(full.end(), argv.begin(), argv.end());
  return run_program(full);
}

TEST(ClientTls, JobsOverHttpsWithTheDaemonsCaAndNotWithout) {
  REQUIRE_ROOT();
  TempDir certs;
  TestCertificate made = make_test_certificate(certs.path());
  if (!made.ok()) GTEST_SKIP() << made.error;
  const std::string& key = made.key;
  const std::string& cert = made.cert;
  Daemon d({"--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key});
  ASSERT_TRUE(d.start()) << d.log();
  std::string token_file = certs.path() + "/token";
  std::ofstream(token_file) << d.tenant("tls") << "\n";
  std::smatch m;
  std::string log;
  ASSERT_TRUE(wait_until(5000, [&] {
    log = d.log();
    return std::regex_search(log, m, std::regex(R"(127\.0\.0\.1:(\d+) \(TLS\))"));
  })) << log;
  std::string port = m[1];
  std::string url = "https://127.0.0.1:" + port;

  // A followed log comes over TLS as it is written, and the job's status is the exit code.
  RunOut follow = clean_run(
      {cordon_binary(), "job", "submit", "--url", url, "--ca", cert, "--token-file", token_file,
       "--follow", "--", "/bin/sh", "-c", "echo one; sleep 1; echo two; exit 3"},
      certs.path());
  EXPECT_EQ(follow.status, 3) << follow.err;
  EXPECT_EQ(follow.out, "one\ntwo\n");

  // By name, and with the CA and URL from the environment.
  RunOut env =
      clean_run({cordon_binary(), "job", "ls", "--json", "--token-file", token_file}, certs.path(),
                {"CORDON_URL=https://localhost:" + port, "CORDON_CA=" + cert});
  EXPECT_EQ(env.status, 0) << env.err;
  EXPECT_NE(env.out.find("\"jobs\""), std::string::npos) << env.out;

  // Without the daemon's CA the system's do not vouch for it: no request goes out.
  RunOut untrusted = clean_run(
      {cordon_binary(), "job", "ls", "--url", url, "--token-file", token_file}, certs.path());
  EXPECT_EQ(untrusted.status, 69) << untrusted.err;
  EXPECT_NE(untrusted.err.find("cannot reach the daemon at " + url), std::string::npos)
      << untrusted.err;
  EXPECT_NE(untrusted.err.find("TLS"), std::string::npos) << untrusted.err;
  EXPECT_NE(untrusted.err.find("certificate"), std::string::npos) << untrusted.err;

  // An unreadable CA file is named.
  RunOut no_ca = clean_run({cordon_binary(), "job", "ls", "--url", url, "--ca",
                            certs.path() + "/none.pem", "--token-file", token_file},
                           certs.path());
  EXPECT_EQ(no_ca.status, 69) << no_ca.err;
  EXPECT_NE(no_ca.err.find("none.pem"), std::string::npos) << no_ca.err;
}

TEST(ClientBinary, CordonClientServesTheSameCommandsDirectly) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  TempDir home;
  RunOut ls =
      clean_run({client_binary(), "job", "ls", "--json", "--socket", d.socket()}, home.path());
  EXPECT_EQ(ls.status, 0) << ls.err;
  EXPECT_NE(ls.out.find("\"jobs\""), std::string::npos) << ls.out;
  RunOut tenants =
      clean_run({client_binary(), "--socket", d.socket(), "tenant", "ls"}, home.path());
  EXPECT_EQ(tenants.status, 0) << tenants.err;
  RunOut other = clean_run({client_binary(), "run", "--", "/bin/true"}, home.path());
  EXPECT_EQ(other.status, 64);
  EXPECT_NE(other.err.find("job"), std::string::npos) << other.err;
}

TEST(ClientBinary, CordonFindsItsClientBesideItOrSaysItIsMissing) {
  if (::access("/usr/lib/cordon/cordon-client", X_OK) == 0)
    GTEST_SKIP() << "an installed /usr/lib/cordon/cordon-client would be found";
  TempDir dir;
  std::string lone = dir.path() + "/cordon";
  ASSERT_EQ(run_program({"/bin/cp", cordon_binary(), lone}).status, 0);

  // Alone: job and tenant say what is missing; the rest of cordon does not need it.
  RunOut job = clean_run({lone, "job", "ls"}, dir.path());
  EXPECT_EQ(job.status, 69);
  EXPECT_NE(job.err.find("cordon-client"), std::string::npos) << job.err;
  EXPECT_NE(job.err.find(dir.path()), std::string::npos) << job.err;
  RunOut global = clean_run({lone, "--socket", "/nonexistent.sock", "tenant", "ls"}, dir.path());
  EXPECT_EQ(global.status, 69);
  EXPECT_NE(global.err.find("cordon-client"), std::string::npos) << global.err;
  RunOut help = clean_run({lone, "--help"}, dir.path());
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("  job "), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("  tenant "), std::string::npos) << help.out;

  // Beside it (through a symlink too): the client takes the whole command line, exit code
  // included.
  ASSERT_EQ(::symlink(client_binary().c_str(), (dir.path() + "/cordon-client").c_str()), 0);
  RunOut job_help = clean_run({lone, "job", "--help"}, dir.path());
  EXPECT_EQ(job_help.status, 0) << job_help.err;
  EXPECT_NE(job_help.out.find("Usage: cordon job"), std::string::npos) << job_help.out;
  RunOut unreachable =
      clean_run({lone, "--socket", dir.path() + "/none.sock", "job", "ls"}, dir.path());
  EXPECT_EQ(unreachable.status, 69);
  EXPECT_NE(unreachable.err.find("cannot reach the daemon"), std::string::npos) << unreachable.err;
  RunOut usage = clean_run({lone, "job", "get"}, dir.path());
  EXPECT_EQ(usage.status, 64) << usage.err;
  // Every global option of the client's (client/args.cc) before the command word takes
  // the line to the client (cmd/client_exec.cc keeps a list of its own).
  for (const char* opt :
       {"--url=unix:/x.sock", "--socket=/x.sock", "--ca=/x.pem", "--token-file=/x"}) {
    RunOut r = clean_run({lone, opt, "job", "--help"}, dir.path());
    EXPECT_EQ(r.status, 0) << opt << ": " << r.err;
    EXPECT_NE(r.out.find("Usage: cordon job"), std::string::npos) << opt;
  }
}

}  // namespace
}  // namespace cordon::testing
