// What a judge and a CI job need from the daemon's jobs, from outside: stdin given inline
// or from a file of the workspace, what the job used (peak memory, CPU and wall time) at
// the top of the job, the files it left listed and fetched as one tar (read back with
// tar(1)), and a .tar.gz upload unpacked (a gzip bomb refused). A real daemon, real
// sandboxes, real HTTP on its socket.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "daemon_harness.h"
#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;

class DaemonFiles : public ::testing::Test {
 protected:
  // One daemon for the suite: starting one per test would dominate the time.
  static void SetUpTestSuite() {
    if (!have_root()) return;
    daemon_ = new Daemon();
    if (!daemon_->start()) ADD_FAILURE() << "daemon did not start: " << daemon_->log();
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  Daemon& d() { return *daemon_; }

  // Runs the job to its end; the ended job.
  json run(const std::string& tok, const json& job) {
    std::string id = d().submit(tok, job);
    if (id.empty()) return json();
    json j = d().wait_ended(tok, id, 120000);
    EXPECT_TRUE(j.is_object()) << d().log();
    return j;
  }
  std::string out_of(const std::string& tok, const json& job) {
    return d().call("GET", "/v1/jobs/" + job.value("id", "") + "/logs", "", tok).body;
  }

  static Daemon* daemon_;
  TempDir tmp_;
};

Daemon* DaemonFiles::daemon_ = nullptr;

TEST_F(DaemonFiles, InlineStdinIsTheCommandsStdin) {
  REQUIRE_ROOT();
  std::string tok = d().tenant("stdin-inline");
  json j = run(tok, {{"command", {"cat"}}, {"stdin", "line one\nline two\n"}, {"timeout", "60s"}});
  ASSERT_EQ(j.value("state", ""), "succeeded") << j.dump();
  EXPECT_EQ(out_of(tok, j), "line one\nline two\n");
  EXPECT_EQ(j["stdin"], json({{"bytes", 18}}));
  // Bytes that are not text, as base64: "\xff\x00\x01" is "/wAB".
  json b = run(tok, {{"command", {"od", "-An", "-tx1"}},
                     {"stdin", {{"content", "/wAB"}, {"encoding", "base64"}}},
                     {"timeout", "60s"}});
  ASSERT_EQ(b.value("state", ""), "succeeded") << b.dump();
  EXPECT_EQ(out_of(tok, b), " ff 00 01\n");
  // Without stdin, the command reads an empty stdin (/dev/null) and "stdin" is null.
  json none = run(tok, {{"command", {"wc", "-c"}}, {"timeout", "60s"}});
  EXPECT_EQ(out_of(tok, none), "0\n");
  EXPECT_TRUE(none["stdin"].is_null());
  // Bad forms are refused, naming the field.
  auto bad =
      d().call("POST", "/v1/jobs",
               json({{"command", {"cat"}}, {"stdin", {{"file", "../etc/passwd"}}}}).dump(), tok);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json["error"]["field"], "stdin.file") << bad.body;
}

TEST_F(DaemonFiles, StdinFromAFileOfTheWorkspace) {
  REQUIRE_ROOT();
  std::string tok = d().tenant("stdin-file");
  json job = {{"command", {"sh", "-c", "tr a-z A-Z"}},
              {"files", {{{"path", "in/data.txt"}, {"content", "from a file\n"}}}},
              {"stdin", {{"file", "in/data.txt"}}},
              {"timeout", "60s"}};
  json j = run(tok, job);
  ASSERT_EQ(j.value("state", ""), "succeeded") << j.dump();
  EXPECT_EQ(out_of(tok, j), "FROM A FILE\n");
  EXPECT_EQ(j["stdin"], json({{"file", "in/data.txt"}}));
  // A file that is not there: the job fails at its setup, and says which.
  job["stdin"] = {{"file", "nothing.txt"}};
  json missing = run(tok, job);
  EXPECT_EQ(missing.value("state", ""), "failed") << missing.dump();
  EXPECT_EQ(missing["exit_status"], 125);
  std::string reason = missing.value("reason", "");
  EXPECT_NE(reason.find("stdin file"), std::string::npos) << reason;
  EXPECT_NE(reason.find("nothing.txt"), std::string::npos) << reason;
}

TEST_F(DaemonFiles, JudgeReadsPeakMemoryCpuAndWallTime) {
  REQUIRE_ROOT();
  std::string tok = d().tenant("judge");
  // tail keeps the whole of a line without a newline: 50 MiB held at once.
  json mem = run(tok, {{"command", {"sh", "-c", "head -c 50M /dev/zero | tail | wc -c"}},
                       {"limits", {{"memory", "512M"}}},
                       {"timeout", "120s"}});
  ASSERT_EQ(mem.value("state", ""), "succeeded") << mem.dump();
  EXPECT_EQ(out_of(tok, mem), "52428800\n");
  const json& a = mem["accounting"];
  ASSERT_TRUE(a.is_object()) << mem.dump();
  ASSERT_TRUE(a["peak_memory_bytes"].is_number_unsigned()) << a.dump();
  EXPECT_GE(a["peak_memory_bytes"].get<uint64_t>(), 50ull << 20) << a.dump();
  // The same figures as the run's own result (docs/result.md), at the top.
  const json& full = mem["result"]["accounting"];
  EXPECT_EQ(a["peak_memory_bytes"], full["peak_memory_bytes"]);
  EXPECT_EQ(a["wall_time_ms"], full["wall_time_ms"]);
  // A busy loop uses CPU: cpu_time_ms is user and system together.
  json busy =
      run(tok, {{"command", {"sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"}},
                {"timeout", "120s"}});
  ASSERT_EQ(busy.value("state", ""), "succeeded") << busy.dump();
  const json& b = busy["accounting"];
  ASSERT_TRUE(b["cpu_time_ms"].is_number()) << b.dump();
  EXPECT_GT(b["cpu_time_ms"].get<double>(), 0) << b.dump();
  EXPECT_DOUBLE_EQ(b["cpu_time_ms"].get<double>(),
                   b["cpu_user_ms"].get<double>() + b["cpu_system_ms"].get<double>());
  EXPECT_GT(b["wall_time_ms"].get<double>(), 0) << b.dump();
  EXPECT_EQ(b["oom_kills"], 0);
  // While it runs there is nothing to read yet: null.
  std::string running = d().submit(tok, sh_job("sleep 30"));
  ASSERT_TRUE(d().wait_state(tok, running, "running"));
  EXPECT_TRUE(d().call("GET", "/v1/jobs/" + running, "", tok).json["accounting"].is_null());
  d().call("POST", "/v1/jobs/" + running + "/cancel", "", tok);
}

TEST_F(DaemonFiles, FilesAreListedAndFetchedAsOneTar) {
  REQUIRE_ROOT();
  std::string tok = d().tenant("files-tar");
  const std::string long_name(120, 'n');  // over ustar's 100 bytes: a pax header
  json j = run(tok, sh_job("mkdir -p out/sub && printf 12345 > out/sub/a.txt && "
                           "printf abc > b.bin && chmod 600 b.bin && echo deep > out/" +
                           long_name + " && head -c 300000 /dev/urandom > out/z.rnd"));
  ASSERT_EQ(j.value("state", ""), "succeeded") << j.dump();
  std::string id = j["id"];
  auto list = d().call("GET", "/v1/jobs/" + id + "/files", "", tok);
  ASSERT_EQ(list.status, 200) << list.body;
  json want = json::array({
      {{"path", "b.bin"}, {"type", "file"}, {"size", 3}, {"mode", 0600}},
      {{"path", "out"}, {"type", "dir"}, {"size", 0}, {"mode", 0755}},
      {{"path", "out/" + long_name}, {"type", "file"}, {"size", 5}, {"mode", 0644}},
      {{"path", "out/sub"}, {"type", "dir"}, {"size", 0}, {"mode", 0755}},
      {{"path", "out/sub/a.txt"}, {"type", "file"}, {"size", 5}, {"mode", 0644}},
      {{"path", "out/z.rnd"}, {"type", "file"}, {"size", 300000}, {"mode", 0644}},
  });
  EXPECT_EQ(list.json["files"], want) << list.body;

  auto tar = d().call("GET", "/v1/jobs/" + id + "/files.tar", "", tok);
  ASSERT_EQ(tar.status, 200) << tar.body;
  EXPECT_EQ(tar.header("content-type"), "application/x-tar");
  std::string file = tmp_.path() + "/files.tar";
  std::ofstream(file, std::ios::binary) << tar.body;
  // Read back with tar(1), from outside.
  std::string into = tmp_.path() + "/x";
  ASSERT_EQ(::mkdir(into.c_str(), 0700), 0);
  auto x = run_program({"/bin/tar", "-xf", file, "-C", into});
  ASSERT_EQ(x.status, 0) << x.err;
  EXPECT_EQ(read_file(into + "/out/sub/a.txt"), "12345");
  EXPECT_EQ(read_file(into + "/b.bin"), "abc");
  EXPECT_EQ(read_file(into + "/out/" + long_name), "deep\n");
  // Larger than one piece of the stream: byte for byte the file served alone.
  std::string rnd = read_file(into + "/out/z.rnd");
  EXPECT_EQ(rnd.size(), 300000u);
  EXPECT_EQ(rnd, d().call("GET", "/v1/jobs/" + id + "/files/out/z.rnd", "", tok).body);
  struct stat st;
  ASSERT_EQ(::stat((into + "/b.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Before the end there is nothing to list; another tenant sees no such job.
  std::string other = d().tenant("files-tar-other");
  EXPECT_EQ(d().call("GET", "/v1/jobs/" + id + "/files", "", other).status, 404);
  EXPECT_EQ(d().call("GET", "/v1/jobs/" + id + "/files.tar", "", other).status, 404);
  std::string running = d().submit(tok, sh_job("sleep 30"));
  ASSERT_TRUE(d().wait_state(tok, running, "running"));
  EXPECT_EQ(d().call("GET", "/v1/jobs/" + running + "/files", "", tok).status, 409);
  EXPECT_EQ(d().call("GET", "/v1/jobs/" + running + "/files.tar", "", tok).status, 409);
  d().call("POST", "/v1/jobs/" + running + "/cancel", "", tok);
}

TEST_F(DaemonFiles, TarGzUploadIsUnpackedAndAGzipBombRefused) {
  REQUIRE_ROOT();
  std::string tok = d().tenant("upload-gz", {{"job_disk", "16M"}});
  std::string src = tmp_.path() + "/src";
  ASSERT_EQ(run_program({"/bin/mkdir", "-p", src + "/sub"}).status, 0);
  std::ofstream(src + "/a.txt") << "gzip input\n";
  std::ofstream(src + "/sub/b.txt") << "deeper\n";
  std::string tgz = tmp_.path() + "/in.tar.gz";
  ASSERT_EQ(run_program({"/bin/tar", "-C", src, "-czf", tgz, "a.txt", "sub"}).status, 0);
  auto up =
      d().call("POST", "/v1/uploads", read_file(tgz), tok, {{"Content-Type", "application/gzip"}});
  ASSERT_EQ(up.status, 201) << up.body;
  json job = {{"command", {"sh", "-c", "cat; cat sub/b.txt"}},
              {"upload", up.json["upload"]},
              {"stdin", {{"file", "a.txt"}}},
              {"timeout", "60s"}};
  json j = run(tok, job);
  ASSERT_EQ(j.value("state", ""), "succeeded") << j.dump();
  EXPECT_EQ(out_of(tok, j), "gzip input\ndeeper\n");

  // 200 MiB of zeros compress to some 200 KiB: over job_disk and the headers' room once
  // decompressed, refused as it decompresses.
  std::string bomb = tmp_.path() + "/bomb.tar.gz";
  ASSERT_EQ(run_program({"/bin/sh", "-c", "head -c 200M /dev/zero | gzip -c > " + bomb}).status, 0);
  auto refused = d().call("POST", "/v1/uploads", read_file(bomb), tok);
  EXPECT_EQ(refused.status, 413) << refused.body;
  std::string msg = refused.json["error"].value("message", "");
  EXPECT_NE(msg.find("decompresses to more than"), std::string::npos) << msg;
  // Corrupt gzip: 400, saying so.
  std::string cut = read_file(tgz);
  cut.resize(cut.size() / 2);
  auto corrupt = d().call("POST", "/v1/uploads", cut, tok);
  EXPECT_EQ(corrupt.status, 400) << corrupt.body;
  EXPECT_NE(corrupt.body.find(".tar.gz"), std::string::npos) << corrupt.body;
}

}  // namespace
}  // namespace cordon::testing
