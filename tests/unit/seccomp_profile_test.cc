// spec/seccomp_profile.h: the OCI seccomp profile parser on good, bad and hostile JSON,
// and the --seccomp choice.
#include "spec/seccomp_profile.h"

#include <gtest/gtest.h>

#include <string>

namespace cordon::spec {
namespace {

// In the shape of Docker's default profile: archMap (with a null list), one large allow
// rule, rules with includes/excludes, comments, an ERRNO rule with errnoRet.
constexpr const char* kDockerLike = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": null}
  ],
  "syscalls": [
    {"names": ["read", "write", "close", "exit_group", "chown32", "futex_time64"],
     "action": "SCMP_ACT_ALLOW"},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["mount", "setns"], "action": "SCMP_ACT_ALLOW",
     "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
     "comment": "no namespaces",
     "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
     "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
  ]
})";

// As podman and `oci-seccomp-bpf-hook` write them: a flat architectures list, ENOSYS by
// default, valueTwo, a KILL_PROCESS rule, flags.
constexpr const char* kPodmanLike = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 38,
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "flags": ["SECCOMP_FILTER_FLAG_TSYNC"],
  "syscalls": [
    {"names": ["read", "write", "openat"], "action": "SCMP_ACT_ALLOW", "args": [], "comment": ""},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"},
              {"index": 2, "value": 255, "valueTwo": 0, "op": "SCMP_CMP_LE"}]},
    {"names": ["kill"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 1, "value": 255, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["uname"], "action": "SCMP_ACT_LOG"},
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["reboot"], "action": "SCMP_ACT_TRAP"},
    {"names": ["acct"], "action": "SCMP_ACT_KILL"},
    {"names": ["swapon"], "action": "SCMP_ACT_KILL_THREAD"}
  ]
})";

SeccompProfile parse_ok(const std::string& text) {
  auto r = parse_oci_profile(text);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r.value() : SeccompProfile{};
}

// The error of a rejected document, as "where: detail"; fails when it parses.
std::string rejected(const std::string& text) {
  auto r = parse_oci_profile(text);
  EXPECT_FALSE(r.ok()) << "parsed: " << text.substr(0, 200);
  if (r.ok()) return "<parsed>";
  EXPECT_EQ(r.error().step, "seccomp profile");
  return r.error().path + ": " + r.error().detail;
}

std::string with_rule(const std::string& rule) {
  return R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [)" + rule + "]}";
}

// ---- good ----

TEST(SeccompProfile, DockerLike) {
  SeccompProfile p = parse_ok(kDockerLike);
  EXPECT_EQ(p.default_action, (SeccompAction{SeccompActionKind::kErrno, 1}));
  EXPECT_EQ(p.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                                                       "SCMP_ARCH_X32", "SCMP_ARCH_RISCV64"}));
  ASSERT_EQ(p.syscalls.size(), 7u);
  EXPECT_EQ(p.syscalls[0].names.size(), 6u);
  EXPECT_EQ(p.syscalls[1].includes.min_kernel, (std::pair<uint32_t, uint32_t>(4, 8)));
  EXPECT_EQ(p.syscalls[2].args, (std::vector<SeccompArg>{{0, 0xffffffff, 0, SeccompCmpOp::kEq}}));
  EXPECT_EQ(p.syscalls[3].includes.arches, (std::vector<std::string>{"amd64", "x32"}));
  EXPECT_EQ(p.syscalls[4].includes.caps, (std::vector<std::string>{"CAP_SYS_ADMIN"}));
  EXPECT_EQ(p.syscalls[5].args[0].op, SeccompCmpOp::kMaskedEq);
  EXPECT_EQ(p.syscalls[5].args[0].value, 2114060288u);
  EXPECT_EQ(p.syscalls[5].excludes.arches.size(), 2u);
  EXPECT_EQ(p.syscalls[6].action, (SeccompAction{SeccompActionKind::kErrno, 38}));
}

TEST(SeccompProfile, PodmanLike) {
  SeccompProfile p = parse_ok(kPodmanLike);
  EXPECT_EQ(p.default_action, (SeccompAction{SeccompActionKind::kErrno, 38}));
  EXPECT_FALSE(p.log_flag);
  ASSERT_EQ(p.syscalls.size(), 9u);
  EXPECT_EQ(p.syscalls[1].args.size(), 2u);
  EXPECT_EQ(p.syscalls[1].args[1], (SeccompArg{2, 255, 0, SeccompCmpOp::kLe}));
  EXPECT_EQ(p.syscalls[2].args[0], (SeccompArg{1, 255, 0, SeccompCmpOp::kMaskedEq}));
  EXPECT_EQ(p.syscalls[3].action.kind, SeccompActionKind::kKillProcess);
  EXPECT_EQ(p.syscalls[4].action.kind, SeccompActionKind::kLog);
  // ERRNO without errnoRet is EPERM, as the OCI spec says.
  EXPECT_EQ(p.syscalls[5].action, (SeccompAction{SeccompActionKind::kErrno, EPERM}));
  EXPECT_EQ(p.syscalls[6].action.kind, SeccompActionKind::kTrap);
  EXPECT_EQ(p.syscalls[7].action.kind, SeccompActionKind::kKillThread);
  EXPECT_EQ(p.syscalls[8].action.kind, SeccompActionKind::kKillThread);
}

TEST(SeccompProfile, Minimal) {
  SeccompProfile p = parse_ok(R"({"defaultAction": "SCMP_ACT_ALLOW"})");
  EXPECT_EQ(p.default_action.kind, SeccompActionKind::kAllow);
  EXPECT_TRUE(p.syscalls.empty());
  // Go writes empty lists as null.
  parse_ok(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": null, "architectures": null,
               "archMap": null, "flags": null})");
}

TEST(SeccompProfile, LegacyNameAndLogFlag) {
  SeccompProfile p = parse_ok(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "syscalls": [{"name": "getpid", "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})");
  EXPECT_TRUE(p.log_flag);
  EXPECT_EQ(p.syscalls[0].names, (std::vector<std::string>{"getpid"}));
  EXPECT_EQ(p.syscalls[0].action.errno_ret, 13u);
}

TEST(SeccompProfile, LargestValues) {
  SeccompProfile p = parse_ok(with_rule(
      R"({"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095,
          "args": [{"index": 5, "value": 18446744073709551615,
                    "valueTwo": 18446744073709551615, "op": "SCMP_CMP_MASKED_EQ"}]})"));
  EXPECT_EQ(p.syscalls[0].args[0].value, UINT64_MAX);
  EXPECT_EQ(p.syscalls[0].args[0].value_two, UINT64_MAX);
  EXPECT_EQ(p.syscalls[0].args[0].index, 5u);
}

// ---- bad ----

TEST(SeccompProfile, UnknownKeysAreNamed) {
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultActoin": 1})"),
            "defaultActoin: unknown key");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW", "x": 1})")),
            "syscalls[0].x: unknown key");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ",
                                            "valueThree": 2}]})")),
            "syscalls[0].args[0].valueThree: unknown key");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "includes": {"minKernell": "4.8"}})")),
            "syscalls[0].includes.minKernell: unknown key");
}

TEST(SeccompProfile, WrongTypes) {
  EXPECT_EQ(rejected(R"({"defaultAction": 1})"), "defaultAction: expected a string, got number");
  EXPECT_EQ(rejected(R"([])"), ": expected a JSON object, got array");
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})"),
            "syscalls: expected an array, got object");
  EXPECT_EQ(rejected(with_rule(R"({"names": "read", "action": "SCMP_ACT_ALLOW"})")),
            "syscalls[0].names: expected an array, got string");
  EXPECT_EQ(rejected(with_rule(R"({"names": [1], "action": "SCMP_ACT_ALLOW"})")),
            "syscalls[0].names[0]: expected a string, got number");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "args": [{"index": "0", "value": 1, "op": "SCMP_CMP_EQ"}]})")),
            "syscalls[0].args[0].index: expected an unsigned integer, got string");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "args": [{"index": true, "value": 1, "op": "SCMP_CMP_EQ"}]})")),
            "syscalls[0].args[0].index: expected an unsigned integer, got boolean");
}

TEST(SeccompProfile, MissingFields) {
  EXPECT_EQ(rejected(R"({})"), "defaultAction: missing");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"]})")), "syscalls[0].action: missing");
  EXPECT_EQ(rejected(with_rule(R"({"action": "SCMP_ACT_ALLOW"})")),
            "syscalls[0].names: a rule needs at least one syscall name");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]})")),
            "syscalls[0].args[0].value: missing");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "args": [{"index": 0, "value": 3}]})")),
            "syscalls[0].args[0].op: missing");
}

TEST(SeccompProfile, Actions) {
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW_ALL"})"),
            "defaultAction: unknown action 'SCMP_ACT_ALLOW_ALL'");
  EXPECT_NE(rejected(R"({"defaultAction": "SCMP_ACT_TRACE"})").find("no tracer"),
            std::string::npos);
  EXPECT_NE(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_NOTIFY"})"))
                .find("notification listener"),
            std::string::npos);
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1})"),
            "defaultErrnoRet: only SCMP_ACT_ERRNO returns an errno");
  EXPECT_EQ(
      rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0})")),
      "syscalls[0].errnoRet: 0 is not an errno");
  EXPECT_EQ(
      rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4096})")),
      "syscalls[0].errnoRet: out of range (at most 4095)");
}

TEST(SeccompProfile, ArgsAndOperators) {
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]})")),
            "syscalls[0].args[0].index: out of range (at most 5)");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_LIKE"}]})")),
            "syscalls[0].args[0].op: unknown operator 'SCMP_CMP_LIKE'");
  std::string seven;
  for (int i = 0; i < 7; ++i) {
    seven += std::string(i ? "," : "") + R"({"index": 0, "value": 0, "op": "SCMP_CMP_EQ"})";
  }
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [)" +
                               seven + "]}")),
            "syscalls[0].args: more than 6 args");
}

TEST(SeccompProfile, Architectures) {
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]})"),
            "architectures: unknown architecture 'SCMP_ARCH_Z80'");
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW",
                         "archMap": [{"architecture": "x86_64"}]})"),
            "archMap[0].architecture: unknown architecture 'x86_64'");
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW",
                         "archMap": [{"subArchitectures": []}]})"),
            "archMap[0].architecture: missing");
}

TEST(SeccompProfile, UnsupportedFeatures) {
  EXPECT_NE(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent"})")
                .find("not supported"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW",
                         "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]})")
                .find("speculative"),
            std::string::npos);
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["FLAG_X"]})"),
            "flags: unsupported flag 'FLAG_X'");
}

TEST(SeccompProfile, NamesAndFilters) {
  for (const char* name : {"\"GETPID\"", "\"get pid\"", "\"\"", "\"../x\"", "\"a\\u0000b\""}) {
    EXPECT_NE(rejected(with_rule(std::string(R"({"names": [)") + name +
                                 R"(], "action": "SCMP_ACT_ALLOW"})"))
                  .find("is not a syscall name"),
              std::string::npos)
        << name;
  }
  EXPECT_NE(rejected(with_rule(R"({"names": [")" + std::string(65, 'a') +
                               R"("], "action": "SCMP_ACT_ALLOW"})"))
                .find("longer than 64 bytes"),
            std::string::npos);
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "includes": {"minKernel": "four"}})")),
            "syscalls[0].includes.minKernel: expected a kernel version MAJOR.MINOR, got 'four'");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                  "includes": {"caps": ["SYS_ADMIN"]}})")),
            "syscalls[0].includes.caps: 'SYS_ADMIN' is not a capability name");
}

TEST(SeccompProfile, DuplicateKeys) {
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultAction": "SCMP_ACT_ALLOW"})"),
            ": duplicate key 'defaultAction'");
  EXPECT_EQ(rejected(with_rule(R"({"names": ["a"], "names": ["b"], "action": "SCMP_ACT_ALLOW"})")),
            ": duplicate key 'names'");
}

// ---- hostile ----

TEST(SeccompProfile, DeepNesting) {
  EXPECT_EQ(rejected(std::string(100000, '[') + std::string(100000, ']')),
            ": nested deeper than 8 levels");
  std::string objects;
  for (int i = 0; i < 5000; ++i) objects += R"({"a": )";
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW", "comment": )" + objects + "1" +
                     std::string(5001, '}')),
            ": nested deeper than 8 levels");
  // Within the limit but in the wrong place: a type error, not a crash.
  EXPECT_EQ(rejected(R"({"defaultAction": [[[[[["x"]]]]]]})"),
            "defaultAction: expected a string, got array");
}

TEST(SeccompProfile, HugeInputs) {
  std::string big =
      R"({"defaultAction": "SCMP_ACT_ALLOW", "comment": ")" + std::string(10 << 20, 'x') + "\"}";
  EXPECT_EQ(rejected(big), ": larger than 1048576 bytes");
  std::string comment =
      R"({"defaultAction": "SCMP_ACT_ALLOW", "comment": ")" + std::string(5000, 'x') + "\"}";
  EXPECT_EQ(rejected(comment), "comment: longer than 4096 bytes");

  std::string rules;
  for (int i = 0; i < 1025; ++i) {
    rules += std::string(i ? "," : "") + R"({"names": ["read"], "action": "SCMP_ACT_ALLOW"})";
  }
  EXPECT_EQ(rejected(with_rule(rules)), "syscalls: more than 1024 rules");

  std::string names;
  for (int i = 0; i < 513; ++i) names += std::string(i ? "," : "") + "\"read\"";
  EXPECT_EQ(rejected(with_rule(R"({"names": [)" + names + R"(], "action": "SCMP_ACT_ALLOW"})")),
            "syscalls[0].names: more than 512 items");

  // 20 rules of 500 names: each within its limit, the profile above 8192 names.
  std::string many;
  std::string five_hundred;
  for (int i = 0; i < 500; ++i) five_hundred += std::string(i ? "," : "") + "\"read\"";
  for (int i = 0; i < 20; ++i) {
    many += std::string(i ? "," : "") + R"({"names": [)" + five_hundred +
            R"(], "action": "SCMP_ACT_ALLOW"})";
  }
  EXPECT_NE(rejected(with_rule(many)).find("names in the profile"), std::string::npos);

  std::string arches;
  for (int i = 0; i < 65; ++i) arches += std::string(i ? "," : "") + "\"SCMP_ARCH_X86\"";
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": [)" + arches + "]}"),
            "architectures: more than 64 items");
}

TEST(SeccompProfile, NulBytesAndEncoding) {
  using namespace std::string_literals;
  // JSON has no place for a raw NUL byte; a parser that stops at one would obey a prefix.
  EXPECT_EQ(rejected("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\0garbage"s), ": contains a NUL byte");
  EXPECT_EQ(rejected("{\"defaultAction\": \"SCMP_\0ACT_ALLOW\"}"s), ": contains a NUL byte");
  EXPECT_EQ(rejected("\0"s), ": contains a NUL byte");
  EXPECT_EQ(rejected(""), ": not valid JSON");
  EXPECT_EQ(rejected("{\"defaultAction\": \"\xff\xfe\"}"), ": not valid JSON");
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW")"), ": not valid JSON");
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW"} {})"), ": not valid JSON");
  // JSON does not allow comments.
  EXPECT_EQ(rejected("{\"defaultAction\": \"SCMP_ACT_ALLOW\" /* x */}"), ": not valid JSON");
}

TEST(SeccompProfile, NumbersOutOfRange) {
  auto arg_value = [](const std::string& v) {
    return with_rule(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW",
                         "args": [{"index": 0, "value": )" +
                     v + R"(, "op": "SCMP_CMP_EQ"}]})");
  };
  for (const char* v : {"-1", "1.5", "1e30", "18446744073709551616", "-0.0", "1E2"}) {
    EXPECT_NE(rejected(arg_value(v)).find("expected an unsigned integer"), std::string::npos) << v;
  }
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 99999999999})"),
            "defaultErrnoRet: out of range (at most 4095)");
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})"),
            "defaultErrnoRet: expected an unsigned integer, got the number -1");
  EXPECT_EQ(rejected(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
      "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99999.1"}}]})"),
            "syscalls[0].includes.minKernel: expected a kernel version MAJOR.MINOR, got '99999.1'");
}

// ---- --seccomp ----

TEST(SeccompChoice, Keywords) {
  EXPECT_EQ(parse_seccomp_choice("default")->kind, SeccompChoice::Kind::kDefault);
  EXPECT_EQ(parse_seccomp_choice("strict")->kind, SeccompChoice::Kind::kStrict);
  EXPECT_EQ(parse_seccomp_choice("unconfined")->kind, SeccompChoice::Kind::kUnconfined);
  auto f = parse_seccomp_choice("./default");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, SeccompChoice::Kind::kFile);
  EXPECT_EQ(f->path, "./default");
  EXPECT_FALSE(f->profile.has_value());
  EXPECT_FALSE(parse_seccomp_choice("").ok());
  EXPECT_FALSE(parse_seccomp_choice(std::string_view("a\0b", 3)).ok());
  EXPECT_STREQ(to_string(SeccompChoice::Kind::kUnconfined), "unconfined");
  EXPECT_STREQ(to_string(SeccompChoice::Kind::kFile), "file");
}

}  // namespace
}  // namespace cordon::spec
