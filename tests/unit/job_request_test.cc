// The bodies of POST /v1/jobs and POST/PATCH /v1/tenants (jobs/job_request.h): what is
// accepted and filled in, and every refusal with its kind (invalid, too large, never
// fits) and the field it names.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "corpus.h"
#include "jobs/job_request.h"
#include "spec/spec.h"

namespace cordon::jobs {
namespace {

using nlohmann::json;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kSec = 1000000000ull;

Parsed<JobSpec> job(const json& body, const Quota& q = {}) {
  return parse_job_request(body.dump(), q);
}

// A job of `command: ["true"]` with `extra` merged into the top level.
json with(const json& extra) {
  json body = {{"command", {"true"}}};
  for (const auto& [k, v] : extra.items()) body[k] = v;
  return body;
}

void expect_refused(const Parsed<JobSpec>& p, Refused kind, const std::string& field) {
  ASSERT_FALSE(p.ok()) << "accepted; expected kind " << static_cast<int>(kind) << " on '" << field
                       << "'";
  EXPECT_EQ(p.error.kind, kind) << p.error.message;
  EXPECT_EQ(p.error.field, field) << p.error.message;
  EXPECT_FALSE(p.error.message.empty());
}

// --- defaults and limits ---

TEST(JobRequest, MinimalJobGetsTheDefaults) {
  auto p = job({{"command", {"echo", "hi"}}});
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  const JobSpec& s = *p.value;
  EXPECT_EQ(s.command, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_TRUE(s.env.empty());
  EXPECT_TRUE(s.files.empty());
  EXPECT_EQ(s.upload, "");
  EXPECT_EQ(s.rootfs, "");
  EXPECT_EQ(s.seccomp, "default");
  EXPECT_EQ(s.memory, spec::kDefaultMemoryBytes);
  EXPECT_EQ(s.cpu_millis, spec::kDefaultCpuMillis);
  EXPECT_EQ(s.pids, spec::kDefaultPids);
  EXPECT_EQ(s.disk, spec::kDefaultDiskBytes);
  EXPECT_EQ(s.output, spec::kDefaultOutputBytes);
  EXPECT_EQ(s.cpu_time_ns, 0u);
  EXPECT_EQ(s.timeout_ns, 600 * kSec);
}

TEST(JobRequest, DefaultsAreLoweredToTheTenantsMaxima) {
  Quota q;
  q.job_memory = 64 * kMiB;
  q.job_cpu_millis = 250;
  q.job_pids = 32;
  q.job_disk = 16 * kMiB;
  q.job_output = kMiB;
  q.job_timeout_ns = 60 * kSec;
  auto p = job({{"command", {"true"}}}, q);
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  EXPECT_EQ(p.value->memory, 64 * kMiB);
  EXPECT_EQ(p.value->cpu_millis, 250u);
  EXPECT_EQ(p.value->pids, 32u);
  EXPECT_EQ(p.value->disk, 16 * kMiB);
  EXPECT_EQ(p.value->output, kMiB);
  EXPECT_EQ(p.value->timeout_ns, 60 * kSec);
  EXPECT_EQ(p.value->cpu_time_ns, 0u);  // none by default, whatever the quota
}

TEST(JobRequest, LimitsInEveryAcceptedForm) {
  auto p = job(with({{"limits",
                      {{"memory", "256M"},
                       {"cpus", 0.5},
                       {"pids", 100},
                       {"disk", 1048576},
                       {"cpu_time", "1500ms"},
                       {"output", "1K"}}},
                     {"timeout", 30}}));
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  EXPECT_EQ(p.value->memory, 256 * kMiB);
  EXPECT_EQ(p.value->cpu_millis, 500u);
  EXPECT_EQ(p.value->pids, 100u);
  EXPECT_EQ(p.value->disk, kMiB);
  EXPECT_EQ(p.value->cpu_time_ns, 1500000000u);
  EXPECT_EQ(p.value->output, 1024u);
  EXPECT_EQ(p.value->timeout_ns, 30 * kSec);

  p = job(with({{"limits", {{"memory", 16777216}, {"cpus", "1.25"}, {"cpu_time", 2}}},
                {"timeout", "1m30s"}}));
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  EXPECT_EQ(p.value->memory, 16 * kMiB);
  EXPECT_EQ(p.value->cpu_millis, 1250u);
  EXPECT_EQ(p.value->cpu_time_ns, 2 * kSec);
  EXPECT_EQ(p.value->timeout_ns, 90 * kSec);
}

TEST(JobRequest, LimitsEqualToTheMaximaAreAccepted) {
  Quota q;
  auto p = job(with({{"limits",
                      {{"memory", q.job_memory},
                       {"cpus", q.job_cpu_millis / 1000.0},
                       {"pids", q.job_pids},
                       {"disk", q.job_disk},
                       {"cpu_time", q.job_timeout_ns / kSec},
                       {"output", q.job_output}}},
                     {"timeout", q.job_timeout_ns / kSec}}),
               q);
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  EXPECT_EQ(p.value->memory, q.job_memory);
  EXPECT_EQ(p.value->cpu_millis, q.job_cpu_millis);
  EXPECT_EQ(p.value->pids, q.job_pids);
  EXPECT_EQ(p.value->timeout_ns, q.job_timeout_ns);
}

TEST(JobRequest, EachLimitOverTheMaximumIs422NamingIt) {
  Quota q;  // job_memory 1G, job_cpus 2, job_pids 1024, job_disk 1G, job_timeout 1h, job_output 64M
  const std::pair<const char*, json> over[] = {
      {"memory", "1025M"}, {"cpus", 2.001},     {"pids", 1025},
      {"disk", "2G"},      {"cpu_time", "61m"}, {"output", 64 * kMiB + 1},
  };
  for (const auto& [name, value] : over) {
    SCOPED_TRACE(name);
    auto p = job(with({{"limits", {{name, value}}}}), q);
    expect_refused(p, Refused::kNeverFits, std::string("limits.") + name);
    EXPECT_NE(p.error.message.find("quota"), std::string::npos) << p.error.message;
  }
  expect_refused(job(with({{"timeout", "1h1s"}}), q), Refused::kNeverFits, "timeout");
  expect_refused(job(with({{"timeout", 3601}}), q), Refused::kNeverFits, "timeout");
}

TEST(JobRequest, LimitsBelowTheMinimumAre400) {
  const std::pair<const char*, json> under[] = {
      {"memory", "1M"},  {"cpus", 0.009},       {"pids", 0},
      {"disk", 1048575}, {"cpu_time", "999us"}, {"output", 0},
  };
  for (const auto& [name, value] : under) {
    SCOPED_TRACE(name);
    expect_refused(job(with({{"limits", {{name, value}}}})), Refused::kInvalid,
                   std::string("limits.") + name);
  }
  expect_refused(job(with({{"timeout", "0s"}})), Refused::kInvalid, "timeout");
  expect_refused(job(with({{"timeout", 0}})), Refused::kInvalid, "timeout");
}

TEST(JobRequest, LimitsThatDoNotParseAre400) {
  const std::pair<const char*, json> bad[] = {
      {"memory", -1},       {"memory", 1.5},           {"memory", "lots"},
      {"memory", true},     {"memory", nullptr},       {"cpus", "x"},
      {"cpus", -0.5},       {"cpus", 1000001},         {"cpus", "0.0005"},
      {"pids", "10"},       {"pids", 4194305},         {"disk", "1.5"},
      {"cpu_time", "1s1s"}, {"output", json::array()},
  };
  for (const auto& [name, value] : bad) {
    SCOPED_TRACE(std::string(name) + " = " + value.dump());
    expect_refused(job(with({{"limits", {{name, value}}}})), Refused::kInvalid,
                   std::string("limits.") + name);
  }
  expect_refused(job(with({{"timeout", true}})), Refused::kInvalid, "timeout");
  expect_refused(job(with({{"timeout", "soon"}})), Refused::kInvalid, "timeout");
  expect_refused(job(with({{"timeout", 367 * 24 * 3600}})), Refused::kInvalid,
                 "timeout");  // over 366 days as a number
  expect_refused(job(with({{"limits", "big"}})), Refused::kInvalid, "limits");
  expect_refused(job(with({{"limits", json::array()}})), Refused::kInvalid, "limits");
}

// --- unknown fields ---

TEST(JobRequest, UnknownFieldsAre400NamingThem) {
  expect_refused(job(with({{"comand", {"true"}}})), Refused::kInvalid, "comand");
  expect_refused(job(with({{"limits", {{"memroy", "1G"}}}})), Refused::kInvalid, "limits.memroy");
  expect_refused(job(with({{"files", {{{"path", "a"}, {"content", "x"}, {"bogus", 1}}}}})),
                 Refused::kInvalid, "files[0].bogus");
  expect_refused(job(with({{"files",
                            {{{"path", "a"}, {"content", "x"}},
                             {{"path", "b"}, {"content", "y"}, {"owner", 0}}}}})),
                 Refused::kInvalid, "files[1].owner");
}

// --- the body as a whole ---

TEST(JobRequest, BadJsonIs400) {
  for (const char* text : {"", "{", "{\"command\": [\"true\"]", "nul", "{'command': []}",
                           "{\"command\": [\"a\",]}", "{\"command\": [\"true\"]} x"}) {
    SCOPED_TRACE(text);
    auto p = parse_job_request(text, Quota{});
    expect_refused(p, Refused::kInvalid, "");
  }
}

TEST(JobRequest, ABodyThatIsNotAnObjectIs400) {
  for (const char* text : {"[]", "\"true\"", "42", "null", "true"}) {
    SCOPED_TRACE(text);
    expect_refused(parse_job_request(text, Quota{}), Refused::kInvalid, "");
  }
}

TEST(JobRequest, ABodyOverTheMaximumIs413) {
  std::string body = with({}).dump();
  std::string at_max = body + std::string(kMaxJobBody - body.size(), ' ');
  ASSERT_EQ(at_max.size(), kMaxJobBody);
  EXPECT_TRUE(parse_job_request(at_max, Quota{}).ok());
  auto p = parse_job_request(at_max + " ", Quota{});
  expect_refused(p, Refused::kTooLarge, "");
  // Checked before parsing: not even JSON.
  expect_refused(parse_job_request(std::string(kMaxJobBody + 1, '{'), Quota{}), Refused::kTooLarge,
                 "");
}

TEST(JobRequest, DeeplyNestedJsonIsRefusedWithoutCrashing) {
  std::string deep = std::string(kMaxJobBody / 2, '[') + std::string(kMaxJobBody / 2, ']');
  expect_refused(parse_job_request(deep, Quota{}), Refused::kInvalid, "");
  std::string unclosed = std::string(kMaxJobBody, '[');
  expect_refused(parse_job_request(unclosed, Quota{}), Refused::kInvalid, "");
  std::string in_field = "{\"command\": [\"true\"], \"env\": " + std::string(100000, '[') +
                         std::string(100000, ']') + "}";
  // Refused while parsing, before any field is read: no body needs that depth.
  auto p = parse_job_request(in_field, Quota{});
  expect_refused(p, Refused::kInvalid, "");
  EXPECT_EQ(p.error.message, "the body is nested deeper than 16 levels");
}

// --- command and env ---

TEST(JobRequest, CommandMustBeANonEmptyArrayOfStrings) {
  expect_refused(job(json::object()), Refused::kInvalid, "command");
  expect_refused(job({{"command", "sh -c true"}}), Refused::kInvalid, "command");
  expect_refused(job({{"command", json::array()}}), Refused::kInvalid, "command");
  expect_refused(job({{"command", {"echo", 1}}}), Refused::kInvalid, "command");
  expect_refused(job({{"command", {"echo", nullptr}}}), Refused::kInvalid, "command");
  expect_refused(job({{"command", {{"echo"}}}}), Refused::kInvalid, "command");
  expect_refused(job({{"command", {{"k", "v"}}}}), Refused::kInvalid, "command");
  expect_refused(job({{"command", nullptr}}), Refused::kInvalid, "command");
}

TEST(JobRequest, NulInAnArgumentIs400) {
  expect_refused(job({{"command", {"echo", std::string("a\0b", 3)}}}), Refused::kInvalid,
                 "command");
  // As the JSON escape, too.
  expect_refused(parse_job_request(R"({"command": ["echo", "a\u0000b"]})", Quota{}),
                 Refused::kInvalid, "command");
}

TEST(JobRequest, TooManyArgumentsAre400) {
  json args = json::array();
  for (size_t i = 0; i <= spec::kMaxArgs; ++i) args.push_back("x");
  expect_refused(job({{"command", args}}), Refused::kInvalid, "command");
  args.erase(args.begin());
  EXPECT_TRUE(job({{"command", args}}).ok());
}

TEST(JobRequest, EnvIsKeptWithGoodNames) {
  auto p = job(with({{"env", {{"PATH", "/bin"}, {"_x1", ""}, {"LANG", "C.UTF-8=x"}}}}));
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  ASSERT_EQ(p.value->env.size(), 3u);
  bool found = false;
  for (const auto& [k, v] : p.value->env)
    if (k == "LANG") found = v == "C.UTF-8=x";
  EXPECT_TRUE(found);
}

TEST(JobRequest, BadEnvNamesAre400NamingThem) {
  for (const std::string& name :
       std::vector<std::string>{"1X", "A-B", "A B", "A=B", "", "É", std::string(257, 'A')}) {
    SCOPED_TRACE(name);
    expect_refused(job(with({{"env", {{name, "v"}}}})), Refused::kInvalid, "env." + name);
  }
  EXPECT_TRUE(job(with({{"env", {{std::string(256, 'A'), "v"}}}})).ok());
}

TEST(JobRequest, BadEnvValuesAre400) {
  expect_refused(job(with({{"env", {{"A", 1}}}})), Refused::kInvalid, "env.A");
  expect_refused(job(with({{"env", {{"A", nullptr}}}})), Refused::kInvalid, "env.A");
  expect_refused(job(with({{"env", {{"A", std::string("x\0y", 3)}}}})), Refused::kInvalid, "env.A");
  expect_refused(job(with({{"env", {"A=1"}}})), Refused::kInvalid, "env");
  expect_refused(job(with({{"env", "A=1"}})), Refused::kInvalid, "env");
  json many = json::object();
  for (size_t i = 0; i <= spec::kMaxEnv; ++i) many["V" + std::to_string(i)] = "";
  expect_refused(job(with({{"env", many}})), Refused::kInvalid, "env");
}

// --- upload, rootfs, seccomp ---

TEST(JobRequest, UploadRootfsAndSeccomp) {
  auto p = job(with({{"upload", "u-0123abcd"}, {"rootfs", "alpine-3.20"}, {"seccomp", "strict"}}));
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  EXPECT_EQ(p.value->upload, "u-0123abcd");
  EXPECT_EQ(p.value->rootfs, "alpine-3.20");
  EXPECT_EQ(p.value->seccomp, "strict");
  expect_refused(job(with({{"upload", "../u-1"}})), Refused::kInvalid, "upload");
  expect_refused(job(with({{"upload", 7}})), Refused::kInvalid, "upload");
  expect_refused(job(with({{"upload", ""}})), Refused::kInvalid, "upload");
  expect_refused(job(with({{"rootfs", "../../etc"}})), Refused::kInvalid, "rootfs");
  expect_refused(job(with({{"rootfs", "Alpine"}})), Refused::kInvalid, "rootfs");
  expect_refused(job(with({{"rootfs", nullptr}})), Refused::kInvalid, "rootfs");
  expect_refused(job(with({{"seccomp", "unconfined"}})), Refused::kInvalid, "seccomp");
  expect_refused(job(with({{"seccomp", ""}})), Refused::kInvalid, "seccomp");
  expect_refused(job(with({{"seccomp", 1}})), Refused::kInvalid, "seccomp");
}

// --- files ---

json file(const std::string& path, const std::string& content) {
  return {{"path", path}, {"content", content}};
}

TEST(JobRequest, FilesAsTextAndBase64) {
  json b64 = file("bin/data", "AAEC/w==");
  b64["encoding"] = "base64";
  b64["mode"] = 0755;
  json text = file("hello.txt", "hi\n");
  text["encoding"] = "utf-8";
  auto p = job(with({{"files", {file("a", "x"), b64, text}}}));
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  ASSERT_EQ(p.value->files.size(), 3u);
  EXPECT_EQ(p.value->files[0].path, "a");
  EXPECT_EQ(p.value->files[0].content, "x");
  EXPECT_EQ(p.value->files[0].mode, 0644u);
  EXPECT_EQ(p.value->files[1].content, std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(p.value->files[1].mode, 0755u);
  EXPECT_EQ(p.value->files[2].content, "hi\n");
}

TEST(JobRequest, Base64Decoding) {
  const std::pair<const char*, std::string> good[] = {
      {"", ""},        {"aGk=", "hi"},           {"aGVsbG8=", "hello"}, {"aGVsbA==", "hell"},
      {"YWJj", "abc"}, {"+/+/", "\xfb\xff\xbf"},
  };
  for (const auto& [in, out] : good) {
    SCOPED_TRACE(in);
    json f = file("f", in);
    f["encoding"] = "base64";
    auto p = job(with({{"files", {f}}}));
    ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
    EXPECT_EQ(p.value->files[0].content, out);
  }
  for (const char* in :
       {"aGk", "a", "aG=k", "a===", "====", "aGk=aGk=", "aG!=", "aGk =", "aGVsbG8", "-_-_"}) {
    SCOPED_TRACE(in);
    json f = file("f", in);
    f["encoding"] = "base64";
    expect_refused(job(with({{"files", {file("ok", ""), f}}})), Refused::kInvalid,
                   "files[1].content");
  }
}

TEST(JobRequest, FileFieldsAreChecked) {
  json f = file("f", "x");
  f["encoding"] = "hex";
  expect_refused(job(with({{"files", {f}}})), Refused::kInvalid, "files[0].encoding");
  for (const json& mode : {json(512), json(-1), json("0644"), json(4.5)}) {
    json m = file("f", "x");
    m["mode"] = mode;
    expect_refused(job(with({{"files", {m}}})), Refused::kInvalid, "files[0].mode");
  }
  expect_refused(job(with({{"files", {{{"content", "x"}}}}})), Refused::kInvalid, "files[0].path");
  expect_refused(job(with({{"files", {{{"path", 1}, {"content", "x"}}}}})), Refused::kInvalid,
                 "files[0].path");
  expect_refused(job(with({{"files", {{{"path", "f"}}}}})), Refused::kInvalid, "files[0].content");
  expect_refused(job(with({{"files", {{{"path", "f"}, {"content", 1}}}}})), Refused::kInvalid,
                 "files[0].content");
  expect_refused(job(with({{"files", {"f"}}})), Refused::kInvalid, "files[0]");
  expect_refused(job(with({{"files", file("f", "x")}})), Refused::kInvalid, "files");
}

TEST(JobRequest, FilePathsMustBeRelativeUniqueAndShallow) {
  auto refused = [](const std::string& path) {
    SCOPED_TRACE(path);
    expect_refused(job(with({{"files", {file("ok", ""), file(path, "x")}}})), Refused::kInvalid,
                   "files[1].path");
  };
  refused("..");
  refused("../etc/passwd");
  refused("a/../../b");
  refused("/etc/passwd");
  refused("a//b");
  refused("./a");
  refused("a/./b");
  refused("a/");
  refused("");
  refused(std::string("a\0b", 3));
  refused("ok");  // given twice
  std::string deep;
  for (size_t i = 0; i < kMaxFileDepth; ++i) deep += (i ? "/d" : "d");
  EXPECT_TRUE(job(with({{"files", {file(deep, "")}}})).ok());
  refused(deep + "/d");
  refused(std::string(kMaxFilePath + 1, 'a'));
  EXPECT_TRUE(job(with({{"files", {file(std::string(kMaxFilePath, 'a'), "")}}})).ok());
}

TEST(JobRequest, StdinInlineAsTextOrBase64OrFromAWorkspaceFile) {
  auto none = job(with({}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value->has_stdin_content);
  EXPECT_TRUE(none.value->stdin_file.empty());

  auto text = job(with({{"stdin", "3 4\n"}}));
  ASSERT_TRUE(text.ok()) << text.error.message;
  EXPECT_TRUE(text.value->has_stdin_content);
  EXPECT_EQ(text.value->stdin_content, "3 4\n");
  EXPECT_EQ(text.value->stdin_bytes, 4u);

  auto empty = job(with({{"stdin", ""}}));  // an empty stdin given is still given
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.value->has_stdin_content);

  auto b64 = job(with({{"stdin", {{"content", "/wAB"}, {"encoding", "base64"}}}}));
  ASSERT_TRUE(b64.ok()) << b64.error.message;
  EXPECT_EQ(b64.value->stdin_content, std::string("\xff\x00\x01", 3));

  auto file = job(with({{"stdin", {{"file", "tests/1.in"}}}}));
  ASSERT_TRUE(file.ok()) << file.error.message;
  EXPECT_EQ(file.value->stdin_file, "tests/1.in");
  EXPECT_FALSE(file.value->has_stdin_content);
}

TEST(JobRequest, StdinRefusalsNameTheirField) {
  expect_refused(job(with({{"stdin", 5}})), Refused::kInvalid, "stdin");
  expect_refused(job(with({{"stdin", json::array()}})), Refused::kInvalid, "stdin");
  expect_refused(job(with({{"stdin", json::object()}})), Refused::kInvalid, "stdin");
  expect_refused(job(with({{"stdin", {{"file", "a"}, {"content", "b"}}}})), Refused::kInvalid,
                 "stdin");
  expect_refused(job(with({{"stdin", {{"bogus", 1}}}})), Refused::kInvalid, "stdin.bogus");
  expect_refused(job(with({{"stdin", {{"file", "../x"}}}})), Refused::kInvalid, "stdin.file");
  expect_refused(job(with({{"stdin", {{"file", "/etc/passwd"}}}})), Refused::kInvalid,
                 "stdin.file");
  expect_refused(job(with({{"stdin", {{"file", 3}}}})), Refused::kInvalid, "stdin.file");
  expect_refused(job(with({{"stdin", {{"file", "a"}, {"encoding", "base64"}}}})), Refused::kInvalid,
                 "stdin.encoding");
  expect_refused(job(with({{"stdin", {{"content", "@@"}, {"encoding", "base64"}}}})),
                 Refused::kInvalid, "stdin.content");
  expect_refused(job(with({{"stdin", {{"content", "x"}, {"encoding", "latin1"}}}})),
                 Refused::kInvalid, "stdin.encoding");
  expect_refused(job(with({{"stdin", {{"content", 1}}}})), Refused::kInvalid, "stdin.content");
}

TEST(JobRequest, AtMostMaxInlineFiles) {
  json files = json::array();
  for (size_t i = 0; i <= kMaxInlineFiles; ++i) files.push_back(file("f" + std::to_string(i), ""));
  expect_refused(job(with({{"files", files}})), Refused::kInvalid, "files");
  files.erase(files.end() - 1);
  EXPECT_TRUE(job(with({{"files", files}})).ok());
}

// --- valid_relative_path and valid_name ---

TEST(ValidRelativePath, EdgeCases) {
  for (const std::string ok :
       {"a", "a/b", "a.b", "...", "..a", "a..", ".hidden", "a b/c", "é/ü", "-"})
    EXPECT_TRUE(valid_relative_path(ok)) << ok;
  for (const std::string bad :
       {"", "/", "/a", ".", "..", "a/..", "../a", "a/./b", "a//b", "a/", "//"})
    EXPECT_FALSE(valid_relative_path(bad)) << bad;
  EXPECT_FALSE(valid_relative_path(std::string("a\0", 2)));
  EXPECT_TRUE(valid_relative_path(std::string(kMaxFilePath, 'x')));
  EXPECT_FALSE(valid_relative_path(std::string(kMaxFilePath + 1, 'x')));
  std::string deep = "a";
  for (size_t i = 1; i < kMaxFileDepth; ++i) deep += "/a";
  EXPECT_TRUE(valid_relative_path(deep));
  EXPECT_FALSE(valid_relative_path(deep + "/a"));
}

TEST(ValidName, EdgeCases) {
  for (const std::string& ok :
       std::vector<std::string>{"a", "0", "alice", "team-1.ci_x", "a-", "a.", std::string(63, 'z')})
    EXPECT_TRUE(valid_name(ok)) << ok;
  for (const std::string& bad :
       std::vector<std::string>{"", "A", "aB", "-a", ".a", "_a", "a/b", "a b", "é", "..",
                                std::string(64, 'z'), std::string("a\0", 2)})
    EXPECT_FALSE(valid_name(bad)) << bad;
}

TEST(ValidTenantName, NeverOfAnIdsForm) {
  // Ids are "t-" and 16 hex digits; no name may start with "t-", so none is ever taken
  // for an id (a route's {tenant} is either).
  for (const std::string ok : {"t", "ta", "tt-1", "t.x", "t_x", "alice", "x-t-1"}) {
    EXPECT_TRUE(valid_tenant_name(ok)) << ok;
    EXPECT_FALSE(is_tenant_id_form(ok)) << ok;
  }
  for (const std::string bad : {"t-", "t-0123456789abcdef", "t-a", "t-alice"}) {
    EXPECT_TRUE(valid_name(bad)) << bad;  // a fine image name, still
    EXPECT_FALSE(valid_tenant_name(bad)) << bad;
    EXPECT_TRUE(is_tenant_id_form(bad)) << bad;
  }
  EXPECT_FALSE(valid_tenant_name("Alice"));
  EXPECT_FALSE(valid_tenant_name(""));
}

// --- tenants ---

Parsed<TenantRequest> tenant(const json& body, const Quota& base = {}, bool name_required = true) {
  return parse_tenant_request(body.dump(), base, name_required);
}

void expect_refused(const Parsed<TenantRequest>& p, Refused kind, const std::string& field) {
  ASSERT_FALSE(p.ok()) << "accepted; expected kind " << static_cast<int>(kind) << " on '" << field
                       << "'";
  EXPECT_EQ(p.error.kind, kind) << p.error.message;
  EXPECT_EQ(p.error.field, field) << p.error.message;
}

TEST(TenantRequest, NameAndDefaults) {
  Quota base;
  base.max_running = 7;
  auto p = tenant({{"name", "alice"}}, base);
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  EXPECT_EQ(p.value->name, "alice");
  EXPECT_EQ(p.value->quota, base);
  expect_refused(tenant(json::object()), Refused::kInvalid, "name");
  expect_refused(tenant({{"name", "Alice"}}), Refused::kInvalid, "name");
  expect_refused(tenant({{"name", ""}}), Refused::kInvalid, "name");
  expect_refused(tenant({{"name", 1}}), Refused::kInvalid, "name");
  expect_refused(tenant({{"name", "t-0123456789abcdef"}}), Refused::kInvalid,
                 "name");  // an id's form
  expect_refused(tenant({{"name", "t-alice"}}, base, false), Refused::kInvalid, "name");
  // PATCH: the name is optional.
  p = tenant(json::object(), base, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value->name, "");
  EXPECT_EQ(p.value->quota, base);
}

TEST(TenantRequest, QuotaFieldsOverrideTheBaseAndTheRestStay) {
  Quota base;
  auto p = tenant({{"quota",
                    {{"max_running", 2},
                     {"max_memory", "8G"},
                     {"max_cpus", "1.5"},
                     {"job_timeout", "90s"},
                     {"queue_when_busy", false},
                     {"job_cpus", 0.25},
                     {"log_bytes", 1024},
                     {"max_files", 5000},
                     {"job_files", 100}}}},
                  base, false);
  ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
  Quota want = base;
  want.max_running = 2;
  want.max_memory = 8ull << 30;
  want.max_cpu_millis = 1500;
  want.job_timeout_ns = 90 * kSec;
  want.queue_when_busy = false;
  want.job_cpu_millis = 250;
  want.log_bytes = 1024;
  want.max_files = 5000;
  want.job_files = 100;
  EXPECT_EQ(p.value->quota, want);
}

TEST(TenantRequest, Refusals) {
  expect_refused(tenant({{"name", "a"}, {"quotas", json::object()}}), Refused::kInvalid, "quotas");
  expect_refused(tenant({{"name", "a"}, {"quota", {{"max_runing", 1}}}}), Refused::kInvalid,
                 "quota.max_runing");
  expect_refused(tenant({{"name", "a"}, {"quota", 5}}), Refused::kInvalid, "quota");
  expect_refused(tenant({{"name", "a"}, {"quota", {{"max_running", -1}}}}), Refused::kInvalid,
                 "quota.max_running");
  expect_refused(tenant({{"name", "a"}, {"quota", {{"max_running", "4"}}}}), Refused::kInvalid,
                 "quota.max_running");
  expect_refused(tenant({{"name", "a"}, {"quota", {{"max_queued", (1ull << 30) + 1}}}}),
                 Refused::kInvalid, "quota.max_queued");
  expect_refused(tenant({{"name", "a"}, {"quota", {{"job_memory", "1Q"}}}}), Refused::kInvalid,
                 "quota.job_memory");
  expect_refused(tenant({{"name", "a"}, {"quota", {{"job_timeout", "forever"}}}}),
                 Refused::kInvalid, "quota.job_timeout");
  expect_refused(tenant({{"name", "a"}, {"quota", {{"max_cpus", "x"}}}}), Refused::kInvalid,
                 "quota.max_cpus");
  expect_refused(tenant({{"name", "a"}, {"quota", {{"queue_when_busy", 1}}}}), Refused::kInvalid,
                 "quota.queue_when_busy");
  for (const char* text : {"", "{", "[]", "\"a\"", "null"}) {
    SCOPED_TRACE(text);
    auto p = parse_tenant_request(text, Quota{}, true);
    expect_refused(p, Refused::kInvalid, "");
  }
  std::string big = json({{"name", "a"}}).dump();
  big += std::string(64 * 1024 - big.size() + 1, ' ');
  expect_refused(parse_tenant_request(big, Quota{}, true), Refused::kTooLarge, "");
  big.pop_back();
  EXPECT_TRUE(parse_tenant_request(big, Quota{}, true).ok());
}

TEST(TenantRequest, QuotaToJsonRoundTrips) {
  Quota changed;
  changed.max_running = 3;
  changed.max_memory = 12345678;
  changed.max_cpu_millis = 2500;
  changed.max_queued = 1 << 30;
  changed.job_memory = 3ull << 30;
  changed.job_cpu_millis = 1;
  changed.job_pids = 99;
  changed.job_timeout_ns = 1500 * 1000000ull;  // not whole seconds: sent as "1500ms"
  changed.job_disk = 0;
  changed.job_output = 1;
  changed.rate_per_minute = 0;
  changed.queue_when_busy = false;
  changed.log_bytes = UINT64_MAX - 1;
  changed.max_files = 1 << 30;
  changed.job_files = 0;
  Quota whole_cpus;
  whole_cpus.max_cpu_millis = 1024000;  // the most a number may say
  whole_cpus.job_timeout_ns = 366ull * 24 * 3600 * kSec;
  for (const Quota& q : {Quota{}, changed, whole_cpus}) {
    json wire = quota_to_json(q);
    SCOPED_TRACE(wire.dump());
    // Every field, from an unrelated base: nothing is left to the base.
    Quota base;
    base.max_running = 77;
    base.queue_when_busy = !q.queue_when_busy;
    auto p = parse_tenant_request(json({{"quota", wire}}).dump(), base, false);
    ASSERT_TRUE(p.ok()) << p.error.field << ": " << p.error.message;
    EXPECT_EQ(p.value->quota, q);
  }
  json wire = quota_to_json(changed);
  EXPECT_EQ(wire["job_timeout"], "1500ms");
  EXPECT_EQ(wire["max_cpus"], 2.5);
  EXPECT_EQ(wire["queue_when_busy"], false);
  EXPECT_EQ(wire.size(), 19u);  // with the four instance quotas
}

// The seeds of fuzz/job_request_fuzz.cc (fuzz/corpus/job_request), run through the
// parsers on every build: job-good-* and tenant-good-* must parse, job-bad-* and
// tenant-bad-* must be refused.
TEST(JobRequestCorpus, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(CORDON_JOB_REQUEST_CORPUS))
      << CORDON_JOB_REQUEST_CORPUS;
  int good = 0, bad = 0;
  for (const auto& [name, text] : cordon::testing::read_corpus(CORDON_JOB_REQUEST_CORPUS)) {
    SCOPED_TRACE(name);
    bool is_job = name.rfind("job-", 0) == 0;
    std::string rest = name.substr(name.find('-') + 1);
    bool ok = is_job ? parse_job_request(text, Quota{}).ok()
                     : parse_tenant_request(text, Quota{}, true).ok();
    if (rest.rfind("good-", 0) == 0) {
      ++good;
      EXPECT_TRUE(ok);
    } else if (rest.rfind("bad-", 0) == 0) {
      ++bad;
      EXPECT_FALSE(ok);
    }
  }
  EXPECT_GE(good, 3);
  EXPECT_GE(bad, 3);
}

// Two values for one field: refused, naming the key, in a job and in a tenant's body,
// at any depth.
TEST(JobRequest, DuplicateKeysAreRefused) {
  expect_refused(parse_job_request(R"({"command": ["true"], "command": ["false"]})", Quota{}),
                 Refused::kInvalid, "command");
  expect_refused(
      parse_job_request(R"({"command": ["true"], "limits": {"memory": "1G", "memory": "2G"}})",
                        Quota{}),
      Refused::kInvalid, "memory");
  expect_refused(parse_tenant_request(R"({"name": "a", "name": "b"})", Quota{}, true),
                 Refused::kInvalid, "name");
  // The same key in two objects is no duplicate.
  EXPECT_TRUE(parse_job_request(
                  R"({"command": ["true"], "files": [{"path": "a", "content": ""},
                                                     {"path": "b", "content": ""}]})",
                  Quota{})
                  .ok());
}

// Messages speak the caller's units: what they would write back in the request.
TEST(JobRequest, MessagesGiveLimitsInTheCallersUnits) {
  auto low = job(with({{"limits", {{"cpus", 0.001}}}}));
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error.message, "must be at least 0.01");
  Quota q;
  q.job_memory = 256ull << 20;
  q.job_cpu_millis = 1500;
  q.job_timeout_ns = 90ull * 1000000000;
  auto mem = job(with({{"limits", {{"memory", "1G"}}}}), q);
  ASSERT_FALSE(mem.ok());
  EXPECT_EQ(mem.error.message, "above the tenant's maximum (quota job_memory = 256M)");
  auto cpus = job(with({{"limits", {{"cpus", 2}}}}), q);
  ASSERT_FALSE(cpus.ok());
  EXPECT_EQ(cpus.error.message, "above the tenant's maximum (quota job_cpus = 1.5)");
  auto t = job(with({{"timeout", "2m"}}), q);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error.message, "above the tenant's maximum (quota job_timeout = 90s)");
}

}  // namespace
}  // namespace cordon::jobs
