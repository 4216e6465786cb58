// `cordon job` and `cordon tenant` against a real daemon, run as a user would run them:
// the binary, its exit status, its stdout and stderr. The daemon is checked through its
// own API (daemon_harness.h), never through the client under test.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "client/subcommand.h"
#include "daemon_harness.h"
#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;

class ClientCli : public ::testing::Test {
 protected:
  // One daemon for the suite: starting one per test would dominate the time.
  static void SetUpTestSuite() {
    if (!have_root()) return;
    daemon_ = new Daemon();
    if (!daemon_->start()) {
      ADD_FAILURE() << "daemon did not start: " << daemon_->log();
    }
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }

  Daemon& d() { return *daemon_; }

  // `cordon ARGS` against the suite's daemon with only the environment given: a CORDON_*
  // or ~/.config/cordon/token of whoever runs the tests must not leak in.
  RunOut cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
             bool with_socket = true) {
    return run_program(argv_for(args, env, with_socket));
  }
  std::vector<std::string> argv_for(const std::vector<std::string>& args,
                                    const std::vector<std::string>& env, bool with_socket = true) {
    std::vector<std::string> argv = {"/usr/bin/env", "-u", "CORDON_URL", "-u",
                                     "CORDON_TOKEN", "-u", "CORDON_CA",  "HOME=" + home_.path()};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(cordon_binary());
    size_t at = argv.size() + 1;  // after "job" or "tenant": `cordon job --socket S submit ...`
    argv.insert(argv.end(), args.begin(), args.end());
    // Not at the end: after `submit ... CMD` it would be the command's.
    if (with_socket)
      argv.insert(argv.begin() + static_cast<std::ptrdiff_t>(at), {"--socket", d().socket()});
    return argv;
  }

  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  static Daemon* daemon_;
  TempDir home_;
};

Daemon* ClientCli::daemon_ = nullptr;

TEST_F(ClientCli, SubmitWaitExitsWithTheJobsStatusAndLogsHaveItsOutput) {
  REQUIRE_ROOT();
  std::string token = d().tenant("cli-wait");
  auto r =
      cli({"job", "submit", "--wait", "--", "/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"},
          {"CORDON_TOKEN=" + token});
  EXPECT_EQ(r.status, 3) << r.err;
  std::string id = first_line(r.out);
  ASSERT_EQ(id.rfind("j-", 0), 0u) << r.out;
  EXPECT_EQ(r.out, id + "\n");  // stdout: the id alone, for scripts
  // stderr: how it ended, for a person.
  EXPECT_NE(r.err.find("job " + id + " failed, exit status 3"), std::string::npos) << r.err;
  auto job = d().call("GET", "/v1/jobs/" + id, "", token);
  EXPECT_EQ(job.json.value("state", ""), "failed") << job.body;
  EXPECT_EQ(job.json.value("exit_status", -1), 3);

  auto out = cli({"job", "logs", id}, {"CORDON_TOKEN=" + token});
  EXPECT_EQ(out.status, 0) << out.err;
  EXPECT_EQ(out.out, "hello\n");
  auto err = cli({"job", "logs", id, "--stderr"}, {"CORDON_TOKEN=" + token});
  EXPECT_EQ(err.out, "oops\n") << err.err;
}

TEST_F(ClientCli, JsonOutputParsesAndListsShowTheJob) {
  REQUIRE_ROOT();
  std::string token = d().tenant("cli-json");
  auto r = cli(
      {"job", "submit", "--json", "--memory", "128M", "--env", "GREETING=hi", "--", "/bin/true"},
      {"CORDON_TOKEN=" + token});
  ASSERT_EQ(r.status, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  std::string id = j.value("id", "");
  ASSERT_EQ(id.rfind("j-", 0), 0u) << r.out;
  EXPECT_EQ(j["limits"].value("memory", 0ull), 128ull << 20);
  ASSERT_FALSE(d().wait_ended(token, id).is_null());

  auto get =
      cli({"--socket", d().socket(), "job", "get", id, "--json"}, {"CORDON_TOKEN=" + token}, false);
  ASSERT_EQ(get.status, 0) << get.err;
  EXPECT_EQ(json::parse(get.out, nullptr, false).value("state", ""), "succeeded") << get.out;

  auto ls = cli({"job", "ls"}, {"CORDON_TOKEN=" + token});
  ASSERT_EQ(ls.status, 0) << ls.err;
  EXPECT_EQ(first_line(ls.out).rfind("ID", 0), 0u) << ls.out;
  EXPECT_NE(first_line(ls.out).find("COMMAND"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find(id), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("succeeded"), std::string::npos) << ls.out;
  // The operator's list (root on the socket) names each job's tenant.
  auto all_jobs = cli({"job", "ls", "--tenant", "cli-json"});
  ASSERT_EQ(all_jobs.status, 0) << all_jobs.err;
  EXPECT_NE(first_line(all_jobs.out).find("TENANT"), std::string::npos) << all_jobs.out;
  EXPECT_TRUE(std::regex_search(all_jobs.out, std::regex(id + " +cli-json +succeeded")))
      << all_jobs.out;

  auto lsj = cli({"job", "ls", "--json", "--all", "--limit", "1"}, {"CORDON_TOKEN=" + token});
  ASSERT_EQ(lsj.status, 0) << lsj.err;
  json all = json::parse(lsj.out, nullptr, false);
  ASSERT_TRUE(all.is_object()) << lsj.out;
  ASSERT_EQ(all["jobs"].size(), 1u);
  EXPECT_EQ(all["jobs"][0].value("id", ""), id);
}

TEST_F(ClientCli, TenantTokenWorksAndAnotherTenantCannotSeeTheJob) {
  REQUIRE_ROOT();
  // As the operator: root on the socket without a token.
  auto c = cli({"tenant", "create", "cli-owner", "--quota", "max_running=2", "--quota",
                "job_memory=512M", "--quota", "queue_when_busy=true"});
  ASSERT_EQ(c.status, 0) << c.err;
  auto get = cli({"tenant", "get", "cli-owner", "--json"});
  ASSERT_EQ(get.status, 0) << get.err;
  json t = json::parse(get.out, nullptr, false);
  EXPECT_EQ(t["quota"].value("max_running", 0), 2) << get.out;
  EXPECT_EQ(t["quota"].value("job_memory", 0ull), 512ull << 20) << get.out;
  // For a person, in the units `tenant ls` and --quota use.
  auto human = cli({"tenant", "get", "cli-owner"});
  ASSERT_EQ(human.status, 0) << human.err;
  EXPECT_TRUE(std::regex_search(human.out, std::regex("job_memory +512M\\n"))) << human.out;
  EXPECT_EQ(human.out.find(std::to_string(512ull << 20)), std::string::npos) << human.out;

  auto issued = cli({"tenant", "token", "issue", "cli-owner"});
  ASSERT_EQ(issued.status, 0) << issued.err;
  std::string token = first_line(issued.out);
  EXPECT_GE(token.size(), 32u) << issued.out;
  EXPECT_NE(issued.err.find("not shown again"), std::string::npos) << issued.err;
  auto tokens = cli({"tenant", "token", "ls", "cli-owner"});
  EXPECT_EQ(tokens.status, 0) << tokens.err;
  EXPECT_NE(tokens.out.find("k-"), std::string::npos) << tokens.out;

  auto sub = cli({"job", "submit", "--", "/bin/echo", "mine"}, {"CORDON_TOKEN=" + token});
  ASSERT_EQ(sub.status, 0) << sub.err;
  std::string id = first_line(sub.out);
  ASSERT_EQ(id.rfind("j-", 0), 0u) << sub.out;
  auto seen = d().call("GET", "/v1/jobs/" + id);  // the operator's view
  EXPECT_EQ(seen.json.value("tenant", ""), "cli-owner") << seen.body;

  // The token from a file works as well as from the environment.
  std::string file = home_.path() + "/token";
  std::ofstream(file) << token << "\n";
  auto mine = cli({"job", "get", id, "--token-file", file});
  EXPECT_EQ(mine.status, 0) << mine.err;

  std::string other = d().tenant("cli-other");
  auto theirs = cli({"job", "get", id}, {"CORDON_TOKEN=" + other});
  EXPECT_EQ(theirs.status, 1);
  EXPECT_NE(theirs.err.find("cordon: 404"), std::string::npos) << theirs.err;
  EXPECT_EQ(theirs.out, "");

  // A refusal carries the daemon's status and field.
  auto big = cli({"job", "submit", "--memory", "2G", "--", "/bin/true"}, {"CORDON_TOKEN=" + token});
  EXPECT_EQ(big.status, 1);
  EXPECT_NE(big.err.find("cordon: 422 limits.memory:"), std::string::npos) << big.err;
}

TEST_F(ClientCli, FollowStreamsStdoutThenExitsWithTheJobsStatus) {
  REQUIRE_ROOT();
  std::string token = d().tenant("cli-follow");
  auto r = cli({"job", "submit", "--follow", "--", "/bin/sh", "-c",
                "echo one; sleep 1; echo two; echo bad >&2; exit 4"},
               {"CORDON_TOKEN=" + token});
  EXPECT_EQ(r.status, 4) << r.err;
  EXPECT_EQ(r.out, "one\ntwo\n");
  EXPECT_NE(r.err.find("bad"), std::string::npos) << r.err;
}

TEST_F(ClientCli, FilesGoInAndComeOutByteForByte) {
  REQUIRE_ROOT();
  std::string token = d().tenant("cli-files");
  std::string text = home_.path() + "/in.txt";
  std::string binary = home_.path() + "/in.bin";
  std::ofstream(text) << "some text\n";
  std::string bytes("\xff\x00\x01\xfe binary", 10);
  std::ofstream(binary, std::ios::binary) << bytes;
  auto r = cli({"job", "submit", "--wait", "--file", text, "--file", binary + ":sub/data.bin", "--",
                "/bin/sh", "-c", "cat in.txt > out.txt && cp sub/data.bin out.bin"},
               {"CORDON_TOKEN=" + token});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  auto t = cli({"job", "files", id, "out.txt"}, {"CORDON_TOKEN=" + token});
  EXPECT_EQ(t.status, 0) << t.err;
  EXPECT_EQ(t.out, "some text\n");
  std::string out = home_.path() + "/out.bin";
  auto b = cli({"job", "files", id, "out.bin", "-o", out}, {"CORDON_TOKEN=" + token});
  EXPECT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(read_file(out), bytes);
  auto missing = cli({"job", "files", id, "nothing"}, {"CORDON_TOKEN=" + token});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("cordon: 404"), std::string::npos) << missing.err;
}

TEST_F(ClientCli, UploadedTarIsUnpackedInTheWorkspace) {
  REQUIRE_ROOT();
  std::string token = d().tenant("cli-upload");
  std::string src = home_.path() + "/src";
  ASSERT_EQ(run_program({"/bin/mkdir", "-p", src}).status, 0);
  std::ofstream(src + "/a.txt") << "from the tar\n";
  std::string tar = home_.path() + "/in.tar";
  ASSERT_EQ(run_program({"/bin/tar", "-C", src, "-cf", tar, "a.txt"}).status, 0);
  auto r = cli({"job", "submit", "--follow", "--upload", tar, "--", "/bin/cat", "a.txt"},
               {"CORDON_TOKEN=" + token});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "from the tar\n");
  // A .tar.gz as well, and a file of it as the job's stdin.
  std::string tgz = home_.path() + "/in.tar.gz";
  ASSERT_EQ(run_program({"/bin/tar", "-C", src, "-czf", tgz, "a.txt"}).status, 0);
  auto z = cli({"job", "submit", "--follow", "--upload", tgz, "--stdin-path", "a.txt", "--",
                "/usr/bin/tr", "a-z", "A-Z"},
               {"CORDON_TOKEN=" + token});
  EXPECT_EQ(z.status, 0) << z.err;
  EXPECT_EQ(z.out, "FROM THE TAR\n");
}

TEST_F(ClientCli, CancelAndRemove) {
  REQUIRE_ROOT();
  std::string token = d().tenant("cli-cancel");
  auto r = cli({"job", "submit", "--", "/bin/sleep", "60"}, {"CORDON_TOKEN=" + token});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  auto c = cli({"job", "cancel", id}, {"CORDON_TOKEN=" + token});
  EXPECT_EQ(c.status, 0) << c.err;
  json job = d().wait_ended(token, id);
  EXPECT_EQ(job.value("state", ""), "cancelled") << job.dump();
  auto rm = cli({"job", "rm", id}, {"CORDON_TOKEN=" + token});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_EQ(d().call("GET", "/v1/jobs/" + id, "", token).status, 404);
}

TEST_F(ClientCli, FollowShowsStdoutAndStderrWhileTheJobRuns) {
  REQUIRE_ROOT();
  std::string token = d().tenant("cli-follow-live");
  // The job writes a line to each stream, then waits for a file this test makes.
  std::string id = d().submit(
      token, sh_job("echo out-early; echo err-early >&2; "
                    "while [ ! -e release ]; do sleep 0.05; done; echo out-late; echo err-late >&2",
                    "120s"));
  ASSERT_TRUE(d().wait_state(token, id, "running"));
  std::string out = home_.path() + "/follow.out", err = home_.path() + "/follow.err";
  int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(out_fd, 0);
  ASSERT_GE(err_fd, 0);
  pid_t pid = spawn_program(argv_for({"job", "logs", id, "--follow"}, {"CORDON_TOKEN=" + token}),
                            -1, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  ASSERT_GT(pid, 0);
  // Both lines arrive while the job still waits for its release.
  EXPECT_TRUE(wait_until(60000,
                         [&] {
                           return read_file(err).find("err-early\n") != std::string::npos &&
                                  read_file(out).find("out-early\n") != std::string::npos;
                         }))
      << "stdout: " << read_file(out) << "stderr: " << read_file(err);
  EXPECT_EQ(d().call("GET", "/v1/jobs/" + id, "", token).json.value("state", ""), "running");
  std::ofstream(d().state_dir() + "/jobs/" + id + "/workspace/release") << "";
  EXPECT_EQ(wait_exit(pid), 0);
  EXPECT_EQ(read_file(out), "out-early\nout-late\n");
  EXPECT_EQ(read_file(err), "err-early\nerr-late\n");
}

TEST_F(ClientCli, StdinFilesListAndTar) {
  REQUIRE_ROOT();
  std::string token = d().tenant("cli-stdin-files");
  std::string in = home_.path() + "/stdin.txt";
  std::ofstream(in) << "to stdin\n";
  auto r = cli({"job", "submit", "--wait", "--stdin", in, "--", "/bin/sh", "-c",
                "mkdir -p d && cat > d/got.txt && printf xy > two"},
               {"CORDON_TOKEN=" + token});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  auto list = cli({"job", "files", id}, {"CORDON_TOKEN=" + token});
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_EQ(list.out,
            "MODE  SIZE  PATH\n"
            "0755  -     d/\n"
            "0644  9     d/got.txt\n"
            "0644  2     two\n");
  std::string tar = home_.path() + "/all.tar";
  auto t = cli({"job", "files", id, "--tar", "-o", tar}, {"CORDON_TOKEN=" + token});
  ASSERT_EQ(t.status, 0) << t.err;
  auto names = run_program({"/bin/tar", "-tf", tar});
  EXPECT_EQ(names.out, "d/\nd/got.txt\ntwo\n");
  auto got = run_program({"/bin/tar", "-xOf", tar, "d/got.txt"});
  EXPECT_EQ(got.out, "to stdin\n");
  // Refused (not ended yet: 409): OUT is left as it was.
  std::string running = d().submit(token, sh_job("sleep 30"));
  ASSERT_TRUE(d().wait_state(token, running, "running"));
  auto early = cli({"job", "files", running, "--tar", "-o", tar}, {"CORDON_TOKEN=" + token});
  EXPECT_EQ(early.status, 1);
  EXPECT_NE(early.err.find("cordon: 409"), std::string::npos) << early.err;
  EXPECT_EQ(run_program({"/bin/tar", "-tf", tar}).out, "d/\nd/got.txt\ntwo\n");
  d().call("POST", "/v1/jobs/" + running + "/cancel", "", token);
  // get shows what it used and where its stdin came from.
  auto g = cli({"job", "get", id}, {"CORDON_TOKEN=" + token});
  EXPECT_NE(g.out.find("stdin:     9 bytes inline"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("used:      peak_memory="), std::string::npos) << g.out;
  // --stdin-path: a file of the workspace.
  auto p = cli({"job", "submit", "--follow", "--file", in + ":data/in.txt", "--stdin-path",
                "data/in.txt", "--", "/usr/bin/wc", "-c"},
               {"CORDON_TOKEN=" + token});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.out, "9\n");
  auto both = cli({"job", "submit", "--stdin", in, "--stdin-path", "x", "--", "/bin/true"},
                  {"CORDON_TOKEN=" + token});
  EXPECT_EQ(both.status, 64) << both.err;
}

TEST_F(ClientCli, BadUsageExits64WithAMessage) {
  REQUIRE_ROOT();
  auto r = cli({"job", "submit", "--bogus", "--", "/bin/true"});
  EXPECT_EQ(r.status, 64);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  auto m = cli({"job", "submit", "--memory", "lots", "--", "/bin/true"});
  EXPECT_EQ(m.status, 64);
  EXPECT_NE(m.err.find("--memory"), std::string::npos) << m.err;
  auto g = cli({"job", "get"});
  EXPECT_EQ(g.status, 64);
  auto h = cli({"job", "ls", "--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("Usage: cordon job ls"), std::string::npos) << h.out;
  // The groups' help lists the options every command takes, from the parser's tables.
  const std::string every =
      client::every_command_options({{"--json", false, "", "print the daemon's JSON"}});
  for (const char* group : {"job", "tenant"}) {
    auto g = cli({group, "--help"});
    EXPECT_EQ(g.status, 0);
    EXPECT_NE(g.out.find(every), std::string::npos) << g.out;
  }
  auto f = cli({"job", "files", "j-0", "a", "b"});
  EXPECT_EQ(f.status, 64);
  EXPECT_NE(f.err.find("expected 1 to 2 argument(s), got 3"), std::string::npos) << f.err;
  auto q = cli({"tenant", "create", "x", "--quota", "novalue"});
  EXPECT_EQ(q.status, 64) << q.err;
}

TEST_F(ClientCli, UnreachableDaemonExits69) {
  REQUIRE_ROOT();
  auto r = cli({"job", "ls", "--socket", home_.path() + "/no-such.sock"}, {}, false);
  EXPECT_EQ(r.status, 69);
  EXPECT_NE(r.err.find("cannot reach the daemon"), std::string::npos) << r.err;
  auto u = cli({"tenant", "ls"}, {"CORDON_URL=unix:" + home_.path() + "/none.sock"}, false);
  EXPECT_EQ(u.status, 69) << u.err;
}

}  // namespace
}  // namespace cordon::testing
