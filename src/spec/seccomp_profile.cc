#include "spec/seccomp_profile.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/json_strict.h"
#include "spec/spec.h"

namespace cordon::spec {
namespace {

using nlohmann::json;

Error bad(const std::string& where, std::string detail) {
  return logic_error("seccomp profile", where, std::move(detail));
}

std::string type_of(const json& j) {
  return j.is_null() ? "null" : j.type_name();
}

// Syscall names as libseccomp and the kernel spell them.
bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > kMaxSyscallNameBytes) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool valid_token(const std::string& s, bool upper) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [upper](char c) {
    return (upper ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z')) || (c >= '0' && c <= '9') ||
           c == '_';
  });
}

// libseccomp's architecture names (SCMP_ARCH_*), all of them: a profile written for many
// architectures is valid here even though only x86_64 is ever admitted.
constexpr const char* kArchNames[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

bool known_arch(const std::string& s) {
  return std::any_of(std::begin(kArchNames), std::end(kArchNames),
                     [&](const char* a) { return s == a; });
}

// Every key of `obj` must be in `allowed`.
Status only_keys(const json& obj, const std::string& where,
                 std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, _] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return bad(where.empty() ? key : where + "." + key, "unknown key");
  }
  return {};
}

Result<std::string> get_string(const json& j, const std::string& where, size_t max_bytes) {
  if (!j.is_string()) return bad(where, "expected a string, got " + type_of(j));
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() > max_bytes)
    return bad(where, "longer than " + std::to_string(max_bytes) + " bytes");
  return s;
}

Result<uint64_t> get_uint(const json& j, const std::string& where, uint64_t max) {
  // nlohmann reads a non-negative integer that fits 64 bits as number_unsigned; negative
  // numbers, fractions and anything above 2^64-1 (read as a double) are refused here.
  if (!j.is_number_unsigned())
    return bad(where, "expected an unsigned integer, got " +
                          (j.is_number() ? std::string("the number ") + j.dump() : type_of(j)));
  uint64_t v = j.get<uint64_t>();
  if (v > max) return bad(where, "out of range (at most " + std::to_string(max) + ")");
  return v;
}

// An array of strings, or null (Go writes an empty list as null).
Result<std::vector<std::string>> get_string_list(const json& j, const std::string& where,
                                                 size_t max_items, size_t max_bytes) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return bad(where, "expected an array, got " + type_of(j));
  if (j.size() > max_items) return bad(where, "more than " + std::to_string(max_items) + " items");
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    ASSIGN_OR_RETURN(std::string s,
                     get_string(j[i], where + "[" + std::to_string(i) + "]", max_bytes));
    out.push_back(std::move(s));
  }
  return out;
}

Result<SeccompActionKind> parse_action_name(const json& j, const std::string& where) {
  ASSIGN_OR_RETURN(std::string name, get_string(j, where, 64));
  if (name == "SCMP_ACT_ALLOW") return SeccompActionKind::kAllow;
  if (name == "SCMP_ACT_ERRNO") return SeccompActionKind::kErrno;
  // libseccomp's SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD; runc maps it the same way.
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD")
    return SeccompActionKind::kKillThread;
  if (name == "SCMP_ACT_KILL_PROCESS") return SeccompActionKind::kKillProcess;
  if (name == "SCMP_ACT_TRAP") return SeccompActionKind::kTrap;
  if (name == "SCMP_ACT_LOG") return SeccompActionKind::kLog;
  if (name == "SCMP_ACT_TRACE")
    return bad(where,
               "SCMP_ACT_TRACE is not supported: cordon attaches no tracer (without one "
               "the kernel fails the call with ENOSYS); use SCMP_ACT_ERRNO with errnoRet");
  if (name == "SCMP_ACT_NOTIFY")
    return bad(where,
               "SCMP_ACT_NOTIFY is not supported: cordon's supervisor owns the "
               "notification listener (it serves --seccomp-report)");
  return bad(where, "unknown action '" + name + "'");
}

// action + errnoRet (or defaultAction + defaultErrnoRet). The OCI spec: errnoRet on an
// action that returns no errno is an error; ERRNO without errnoRet means EPERM.
Result<SeccompAction> parse_action(const json& obj, const char* action_key, const char* errno_key,
                                   const std::string& where) {
  std::string at = where.empty() ? action_key : where + "." + action_key;
  if (!obj.contains(action_key)) return bad(at, "missing");
  SeccompAction a;
  ASSIGN_OR_RETURN(a.kind, parse_action_name(obj[action_key], at));
  std::string eat = where.empty() ? errno_key : where + "." + errno_key;
  if (obj.contains(errno_key) && !obj[errno_key].is_null()) {
    if (a.kind != SeccompActionKind::kErrno)
      return bad(eat, "only SCMP_ACT_ERRNO returns an errno");
    ASSIGN_OR_RETURN(uint64_t e, get_uint(obj[errno_key], eat, kMaxErrnoRet));
    // errno 0 would make a denied call look like a success.
    if (e == 0) return bad(eat, "0 is not an errno");
    a.errno_ret = static_cast<uint32_t>(e);
  } else if (a.kind == SeccompActionKind::kErrno) {
    a.errno_ret = EPERM;
  }
  return a;
}

Result<SeccompCmpOp> parse_op(const json& j, const std::string& where) {
  ASSIGN_OR_RETURN(std::string op, get_string(j, where, 64));
  if (op == "SCMP_CMP_NE") return SeccompCmpOp::kNe;
  if (op == "SCMP_CMP_LT") return SeccompCmpOp::kLt;
  if (op == "SCMP_CMP_LE") return SeccompCmpOp::kLe;
  if (op == "SCMP_CMP_EQ") return SeccompCmpOp::kEq;
  if (op == "SCMP_CMP_GE") return SeccompCmpOp::kGe;
  if (op == "SCMP_CMP_GT") return SeccompCmpOp::kGt;
  if (op == "SCMP_CMP_MASKED_EQ") return SeccompCmpOp::kMaskedEq;
  return bad(where, "unknown operator '" + op + "'");
}

Result<SeccompArg> parse_arg(const json& j, const std::string& where) {
  if (!j.is_object()) return bad(where, "expected an object, got " + type_of(j));
  TRY(only_keys(j, where, {"index", "value", "valueTwo", "op"}));
  SeccompArg a;
  if (!j.contains("index")) return bad(where + ".index", "missing");
  ASSIGN_OR_RETURN(uint64_t index, get_uint(j["index"], where + ".index", 5));
  a.index = static_cast<uint32_t>(index);
  if (!j.contains("value")) return bad(where + ".value", "missing");
  ASSIGN_OR_RETURN(a.value, get_uint(j["value"], where + ".value", UINT64_MAX));
  if (j.contains("valueTwo")) {
    ASSIGN_OR_RETURN(a.value_two, get_uint(j["valueTwo"], where + ".valueTwo", UINT64_MAX));
  }
  if (!j.contains("op")) return bad(where + ".op", "missing");
  ASSIGN_OR_RETURN(a.op, parse_op(j["op"], where + ".op"));
  return a;
}

// "4.8": Docker's minKernel, major.minor.
Result<std::pair<uint32_t, uint32_t>> parse_kernel_version(const std::string& s,
                                                           const std::string& where) {
  size_t dot = s.find('.');
  auto digits = [](std::string_view d) {
    return !d.empty() && d.size() <= 4 &&
           std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  std::string_view sv = s;
  if (dot == std::string::npos || !digits(sv.substr(0, dot)) || !digits(sv.substr(dot + 1)))
    return bad(where, "expected a kernel version MAJOR.MINOR, got '" + s + "'");
  return std::pair<uint32_t, uint32_t>(std::stoul(s.substr(0, dot)), std::stoul(s.substr(dot + 1)));
}

Result<SeccompRuleFilter> parse_rule_filter(const json& j, const std::string& where) {
  SeccompRuleFilter f;
  if (j.is_null()) return f;
  if (!j.is_object()) return bad(where, "expected an object, got " + type_of(j));
  TRY(only_keys(j, where, {"caps", "arches", "minKernel"}));
  if (j.contains("caps")) {
    ASSIGN_OR_RETURN(f.caps, get_string_list(j["caps"], where + ".caps", kMaxProfileListItems, 64));
    for (const auto& c : f.caps) {
      if (c.rfind("CAP_", 0) != 0 || !valid_token(c, true))
        return bad(where + ".caps", "'" + c + "' is not a capability name");
    }
  }
  if (j.contains("arches")) {
    ASSIGN_OR_RETURN(f.arches,
                     get_string_list(j["arches"], where + ".arches", kMaxProfileListItems, 64));
    for (const auto& a : f.arches) {
      if (!valid_token(a, false)) return bad(where + ".arches", "'" + a + "' is not an arch name");
    }
  }
  if (j.contains("minKernel") && !j["minKernel"].is_null()) {
    ASSIGN_OR_RETURN(std::string v, get_string(j["minKernel"], where + ".minKernel", 32));
    ASSIGN_OR_RETURN(f.min_kernel, parse_kernel_version(v, where + ".minKernel"));
  }
  return f;
}

Result<SeccompRule> parse_rule(const json& j, const std::string& where, size_t* total_names) {
  if (!j.is_object()) return bad(where, "expected an object, got " + type_of(j));
  TRY(only_keys(
      j, where,
      {"names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"}));
  SeccompRule r;
  if (j.contains("names")) {
    ASSIGN_OR_RETURN(r.names, get_string_list(j["names"], where + ".names", kMaxNamesPerRule,
                                              kMaxSyscallNameBytes));
  }
  // "name": one syscall, as older Docker profiles wrote it.
  if (j.contains("name")) {
    ASSIGN_OR_RETURN(std::string n, get_string(j["name"], where + ".name", kMaxSyscallNameBytes));
    if (r.names.size() >= kMaxNamesPerRule)
      return bad(where + ".name", "more than " + std::to_string(kMaxNamesPerRule) + " names");
    r.names.push_back(std::move(n));
  }
  if (r.names.empty()) return bad(where + ".names", "a rule needs at least one syscall name");
  for (const auto& n : r.names) {
    if (!valid_name(n)) return bad(where + ".names", "'" + n + "' is not a syscall name");
  }
  *total_names += r.names.size();
  if (*total_names > kMaxNamesPerProfile)
    return bad(where + ".names",
               "more than " + std::to_string(kMaxNamesPerProfile) + " names in the profile");
  ASSIGN_OR_RETURN(r.action, parse_action(j, "action", "errnoRet", where));
  if (j.contains("args") && !j["args"].is_null()) {
    const json& args = j["args"];
    if (!args.is_array()) return bad(where + ".args", "expected an array, got " + type_of(args));
    if (args.size() > kMaxArgsPerRule)
      return bad(where + ".args", "more than " + std::to_string(kMaxArgsPerRule) + " args");
    for (size_t i = 0; i < args.size(); ++i) {
      ASSIGN_OR_RETURN(SeccompArg a,
                       parse_arg(args[i], where + ".args[" + std::to_string(i) + "]"));
      r.args.push_back(a);
    }
  }
  if (j.contains("comment") && !j["comment"].is_null()) {
    TRY(get_string(j["comment"], where + ".comment", kMaxProfileStringBytes));
  }
  if (j.contains("includes")) {
    ASSIGN_OR_RETURN(r.includes, parse_rule_filter(j["includes"], where + ".includes"));
  }
  if (j.contains("excludes")) {
    ASSIGN_OR_RETURN(r.excludes, parse_rule_filter(j["excludes"], where + ".excludes"));
  }
  return r;
}

Status add_arches(const std::vector<std::string>& names, const std::string& where,
                  std::vector<std::string>* out) {
  for (const auto& a : names) {
    if (!known_arch(a)) return bad(where, "unknown architecture '" + a + "'");
    if (std::find(out->begin(), out->end(), a) == out->end()) out->push_back(a);
  }
  return {};
}

Status parse_arch_map(const json& j, std::vector<std::string>* out) {
  if (j.is_null()) return {};
  if (!j.is_array()) return bad("archMap", "expected an array, got " + type_of(j));
  if (j.size() > kMaxProfileListItems)
    return bad("archMap", "more than " + std::to_string(kMaxProfileListItems) + " items");
  for (size_t i = 0; i < j.size(); ++i) {
    std::string at = "archMap[" + std::to_string(i) + "]";
    const json& e = j[i];
    if (!e.is_object()) return bad(at, "expected an object, got " + type_of(e));
    TRY(only_keys(e, at, {"architecture", "subArchitectures"}));
    if (!e.contains("architecture")) return bad(at + ".architecture", "missing");
    ASSIGN_OR_RETURN(std::string arch, get_string(e["architecture"], at + ".architecture", 64));
    TRY(add_arches({arch}, at + ".architecture", out));
    if (e.contains("subArchitectures")) {
      ASSIGN_OR_RETURN(auto subs, get_string_list(e["subArchitectures"], at + ".subArchitectures",
                                                  kMaxProfileListItems, 64));
      TRY(add_arches(subs, at + ".subArchitectures", out));
    }
  }
  return {};
}

Status parse_flags(const json& j, SeccompProfile* p) {
  ASSIGN_OR_RETURN(auto flags, get_string_list(j, "flags", kMaxProfileListItems, 64));
  for (const auto& f : flags) {
    if (f == "SECCOMP_FILTER_FLAG_LOG") {
      p->log_flag = true;
    } else if (f == "SECCOMP_FILTER_FLAG_TSYNC") {
      // The filter is loaded by a single-threaded process: nothing to synchronise.
    } else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      return bad("flags",
                 "SECCOMP_FILTER_FLAG_SPEC_ALLOW is not supported: it would turn off "
                 "the speculative store bypass mitigation");
    } else {
      return bad("flags", "unsupported flag '" + f + "'");
    }
  }
  return {};
}

Result<SeccompProfile> parse_document(std::string_view text) {
  if (text.size() > kMaxProfileBytes)
    return bad("", "larger than " + std::to_string(kMaxProfileBytes) + " bytes");
  // Duplicate keys, nesting and NUL bytes refused (base/json_strict.h): with two
  // "defaultAction"s, which one a reader obeys would be a guess.
  JsonError error;
  std::optional<json> parsed = parse_json_strict(text, kMaxProfileDepth, &error);
  if (!parsed) return bad("", error.message);
  json& doc = *parsed;
  if (!doc.is_object()) return bad("", "expected a JSON object, got " + type_of(doc));
  TRY(only_keys(doc, "",
                {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "flags",
                 "syscalls", "listenerPath", "listenerMetadata", "comment"}));
  if (doc.contains("listenerPath") || doc.contains("listenerMetadata"))
    return bad(doc.contains("listenerPath") ? "listenerPath" : "listenerMetadata",
               "not supported: cordon's supervisor owns the notification listener");

  SeccompProfile p;
  ASSIGN_OR_RETURN(p.default_action, parse_action(doc, "defaultAction", "defaultErrnoRet", ""));
  if (doc.contains("architectures")) {
    ASSIGN_OR_RETURN(auto arches, get_string_list(doc["architectures"], "architectures",
                                                  kMaxProfileListItems, 64));
    TRY(add_arches(arches, "architectures", &p.architectures));
  }
  if (doc.contains("archMap")) TRY(parse_arch_map(doc["archMap"], &p.architectures));
  if (doc.contains("flags")) TRY(parse_flags(doc["flags"], &p));
  if (doc.contains("comment") && !doc["comment"].is_null()) {
    TRY(get_string(doc["comment"], "comment", kMaxProfileStringBytes));
  }
  if (doc.contains("syscalls") && !doc["syscalls"].is_null()) {
    const json& rules = doc["syscalls"];
    if (!rules.is_array()) return bad("syscalls", "expected an array, got " + type_of(rules));
    if (rules.size() > kMaxProfileRules)
      return bad("syscalls", "more than " + std::to_string(kMaxProfileRules) + " rules");
    size_t total_names = 0;
    p.syscalls.reserve(rules.size());
    for (size_t i = 0; i < rules.size(); ++i) {
      ASSIGN_OR_RETURN(SeccompRule r,
                       parse_rule(rules[i], "syscalls[" + std::to_string(i) + "]", &total_names));
      p.syscalls.push_back(std::move(r));
    }
  }
  return p;
}

}  // namespace

Result<SeccompProfile> parse_oci_profile(std::string_view json_text) {
  // The checks above test every type before reading a value, so nlohmann has nothing to
  // throw; the catch is the boundary the style asks for, should a check be missed.
  try {
    return parse_document(json_text);
  } catch (const nlohmann::json::exception& e) {
    return bad("", std::string("invalid document: ") + e.what());
  } catch (const std::bad_alloc&) {
    return bad("", "out of memory");
  }
}

Result<SeccompChoice> parse_seccomp_choice(std::string_view arg) {
  SeccompChoice c;
  if (arg == "default") {
    c.kind = SeccompChoice::Kind::kDefault;
  } else if (arg == "strict") {
    c.kind = SeccompChoice::Kind::kStrict;
  } else if (arg == "unconfined") {
    c.kind = SeccompChoice::Kind::kUnconfined;
  } else {
    if (arg.empty())
      return logic_error("invalid", "--seccomp", "expected default, strict, unconfined or a file");
    if (arg.size() > kMaxPath || arg.find('\0') != std::string_view::npos)
      return logic_error("invalid", "--seccomp", "not a usable path");
    c.kind = SeccompChoice::Kind::kFile;
    c.path = std::string(arg);
  }
  return c;
}

const char* to_string(SeccompChoice::Kind kind) {
  switch (kind) {
    case SeccompChoice::Kind::kDefault:
      return "default";
    case SeccompChoice::Kind::kStrict:
      return "strict";
    case SeccompChoice::Kind::kUnconfined:
      return "unconfined";
    case SeccompChoice::Kind::kFile:
      return "file";
  }
  return "unknown";
}

}  // namespace cordon::spec
