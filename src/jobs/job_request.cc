#include "jobs/job_request.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base/json_strict.h"
#include "base/json_values.h"
#include "base/parse.h"
#include "image/ref.h"
#include "spec/spec.h"

namespace cordon::jobs {
namespace {

using nlohmann::json;

Refusal bad(std::string field, std::string message, Refused kind = Refused::kInvalid) {
  return Refusal{kind, std::move(field), std::move(message)};
}

// Nesting deeper than any body needs (files[].content is three levels down).
constexpr size_t kMaxBodyDepth = 16;

// The body as JSON: duplicate keys refused, since two values for one field would let two
// readers of the same text disagree about what was asked.
std::optional<json> parse_body(std::string_view body, Refusal* error) {
  JsonError e;
  std::optional<json> j = parse_json_strict(body, kMaxBodyDepth, &e);
  if (!j) *error = e.key.empty() ? bad("", "the body is " + e.message) : bad(e.key, "given twice");
  return j;
}

// A field outside the allowed set is an error naming it: a typo must not silently fall
// back to a default (a limit the caller believes is set, and is not).
std::optional<Refusal> only_known(const json& obj, std::initializer_list<const char*> keys,
                                  const std::string& prefix) {
  for (const auto& item : obj.items()) {
    const std::string& key = item.key();
    if (std::none_of(keys.begin(), keys.end(), [&](const char* x) { return key == x; }))
      return bad(prefix + key, "unknown field");
  }
  return std::nullopt;
}

// CPUs as a number (0.5) or a string ("0.5"), in thousandths; at most a million CPUs
// either way, so that what quota_to_json writes back always reads again.
constexpr uint64_t kMaxMilli = 1'000'000'000;
std::optional<uint64_t> milli_value(const json& v) {
  if (v.is_number()) {
    double d = v.get<double>();
    if (!(d >= 0 && d * 1000 <= static_cast<double>(kMaxMilli))) return std::nullopt;
    return static_cast<uint64_t>(d * 1000 + 0.5);
  }
  if (!v.is_string()) return std::nullopt;
  auto r = parse_milli(v.get<std::string>());
  return r.ok() && *r <= kMaxMilli ? std::optional<uint64_t>(*r) : std::nullopt;
}

std::optional<uint64_t> count_value(const json& v, uint64_t max) {
  if (!v.is_number_unsigned()) return std::nullopt;
  uint64_t n = v.get<uint64_t>();
  return n <= max ? std::optional<uint64_t>(n) : std::nullopt;
}

bool valid_env_name(std::string_view k) {
  if (k.empty() || k.size() > 256 || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || (v[j] = val(c)) < 0) return std::nullopt;
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

// A limit: absent -> the default lowered to the tenant's maximum; above the maximum ->
// kNeverFits.
struct LimitField {
  const char* name;
  uint64_t dflt;
  uint64_t max;
  uint64_t min;
  std::optional<uint64_t> (*read)(const json&);
  std::string (*show)(uint64_t);  // in the units the caller writes
};

std::string show_count(uint64_t n) {
  return std::to_string(n);
}

std::optional<Refusal> read_limit(const json& limits, const LimitField& f, uint64_t* out,
                                  const char* quota_name) {
  std::string field = std::string("limits.") + f.name;
  if (!limits.contains(f.name)) {
    *out = std::min(f.dflt, f.max);
    return std::nullopt;
  }
  auto v = f.read(limits[f.name]);
  if (!v) return bad(field, "not a valid value");
  if (*v < f.min) return bad(field, "must be at least " + f.show(f.min));
  if (*v > f.max)
    return bad(field,
               "above the tenant's maximum (quota " + std::string(quota_name) + " = " +
                   f.show(f.max) + ")",
               Refused::kNeverFits);
  *out = *v;
  return std::nullopt;
}

std::optional<uint64_t> pids_value(const json& v) {
  return count_value(v, 1u << 22);
}

std::optional<Refusal> parse_limits(const json& body, const Quota& q, JobSpec* s) {
  json limits = body.contains("limits") ? body["limits"] : json::object();
  if (!limits.is_object()) return bad("limits", "not an object");
  if (auto e =
          only_known(limits, {"memory", "cpus", "pids", "disk", "cpu_time", "output"}, "limits."))
    return e;
  uint64_t v = 0;
  const std::pair<LimitField, const char*> fields[] = {
      {{"memory", spec::kDefaultMemoryBytes, q.job_memory, spec::kMinMemoryBytes, json_size,
        format_size},
       "job_memory"},
      {{"cpus", spec::kDefaultCpuMillis, q.job_cpu_millis, 10, milli_value, format_milli},
       "job_cpus"},
      {{"pids", spec::kDefaultPids, q.job_pids, spec::kMinPids, pids_value, show_count},
       "job_pids"},
      {{"disk", spec::kDefaultDiskBytes, q.job_disk, spec::kMinDiskBytes, json_size, format_size},
       "job_disk"},
      {{"cpu_time", 0, q.job_timeout_ns, 1000000, json_duration_ns, format_duration_ns},
       "job_timeout"},
      {{"output", spec::kDefaultOutputBytes, q.job_output, 1, json_size, format_size},
       "job_output"},
  };
  uint64_t* outs[] = {&s->memory, nullptr, nullptr, &s->disk, &s->cpu_time_ns, &s->output};
  for (size_t i = 0; i < std::size(fields); ++i) {
    if (auto e = read_limit(limits, fields[i].first, &v, fields[i].second)) return e;
    if (outs[i] != nullptr) *outs[i] = v;
    if (i == 1) s->cpu_millis = static_cast<uint32_t>(v);
    if (i == 2) s->pids = static_cast<uint32_t>(v);
  }
  // Timeout: 10 minutes unless asked, never above the tenant's maximum.
  LimitField timeout{"timeout", 600ull * 1000000000ull, q.job_timeout_ns,
                     1000000,   json_duration_ns,       format_duration_ns};
  json top = json::object();
  if (body.contains("timeout")) top["timeout"] = body["timeout"];
  if (auto e = read_limit(top, timeout, &s->timeout_ns, "job_timeout")) {
    e->field = "timeout";
    return e;
  }
  return std::nullopt;
}

std::optional<Refusal> parse_files(const json& files, JobSpec* s) {
  if (!files.is_array()) return bad("files", "not an array");
  if (files.size() > kMaxInlineFiles)
    return bad("files", "more than " + std::to_string(kMaxInlineFiles) + " files");
  for (size_t i = 0; i < files.size(); ++i) {
    std::string at = "files[" + std::to_string(i) + "]";
    const json& f = files[i];
    if (!f.is_object()) return bad(at, "not an object");
    if (auto e = only_known(f, {"path", "content", "encoding", "mode"}, at + ".")) return e;
    if (!f.contains("path") || !f["path"].is_string() ||
        !valid_relative_path(f["path"].get<std::string>()))
      return bad(at + ".path", "a relative path without '..' is required");
    if (!f.contains("content") || !f["content"].is_string())
      return bad(at + ".content", "a string is required");
    InputFile in;
    in.path = f["path"].get<std::string>();
    if (f.contains("encoding") && !f["encoding"].is_string())
      return bad(at + ".encoding", "utf-8 or base64");
    std::string enc = f.value("encoding", std::string("utf-8"));
    if (enc == "base64") {
      auto d = base64_decode(f["content"].get<std::string>());
      if (!d) return bad(at + ".content", "not valid base64");
      in.content = std::move(*d);
    } else if (enc == "utf-8") {
      in.content = f["content"].get<std::string>();
    } else {
      return bad(at + ".encoding", "utf-8 or base64");
    }
    if (f.contains("mode")) {
      auto m = count_value(f["mode"], 0777);
      if (!m) return bad(at + ".mode", "permission bits 0-0777 (as a number)");
      in.mode = static_cast<uint32_t>(*m);
    }
    for (const auto& prev : s->files) {
      if (prev.path == in.path) return bad(at + ".path", "given twice");
      // One would have to be a file and a folder at once.
      const std::string& shorter = prev.path.size() < in.path.size() ? prev.path : in.path;
      const std::string& longer = prev.path.size() < in.path.size() ? in.path : prev.path;
      if (longer.compare(0, shorter.size(), shorter) == 0 && longer[shorter.size()] == '/')
        return bad(at + ".path", "a file where another file's folder is (" + prev.path + ")");
    }
    s->files.push_back(std::move(in));
  }
  return std::nullopt;
}

// "stdin": a string (the bytes, UTF-8), or {"content": S, "encoding": "utf-8"|"base64"},
// or {"file": PATH} (a file of the workspace: an input file or one of the upload's).
std::optional<Refusal> parse_stdin(const json& v, JobSpec* s) {
  if (v.is_string()) {
    s->stdin_content = v.get<std::string>();
    s->has_stdin_content = true;
  } else if (v.is_object()) {
    if (auto e = only_known(v, {"content", "encoding", "file"}, "stdin.")) return e;
    if (v.contains("file") == v.contains("content"))
      return bad("stdin", "either content (the bytes) or file (a path in the workspace)");
    if (v.contains("file")) {
      if (v.contains("encoding")) return bad("stdin.encoding", "only with content");
      if (!v["file"].is_string() || !valid_relative_path(v["file"].get<std::string>()))
        return bad("stdin.file", "a relative path in the workspace without '..' is required");
      s->stdin_file = v["file"].get<std::string>();
      return std::nullopt;
    }
    if (!v["content"].is_string()) return bad("stdin.content", "a string is required");
    if (v.contains("encoding") && !v["encoding"].is_string())
      return bad("stdin.encoding", "utf-8 or base64");
    std::string enc = v.value("encoding", std::string("utf-8"));
    if (enc == "base64") {
      auto d = base64_decode(v["content"].get<std::string>());
      if (!d) return bad("stdin.content", "not valid base64");
      s->stdin_content = std::move(*d);
    } else if (enc == "utf-8") {
      s->stdin_content = v["content"].get<std::string>();
    } else {
      return bad("stdin.encoding", "utf-8 or base64");
    }
    s->has_stdin_content = true;
  } else {
    return bad("stdin", "a string, {\"content\": ...} or {\"file\": PATH}");
  }
  if (s->stdin_content.size() > kMaxInlineStdin)
    return bad("stdin", "more than " + std::to_string(kMaxInlineStdin) +
                            " bytes inline: put it in an upload and give {\"file\": PATH}");
  s->stdin_bytes = s->stdin_content.size();
  return std::nullopt;
}

std::optional<Refusal> parse_job(const json& body, const Quota& quota, JobSpec* s) {
  if (!body.is_object()) return bad("", "the body is not a JSON object");
  if (auto e = only_known(body,
                          {"command", "env", "files", "upload", "stdin", "rootfs", "image",
                           "seccomp", "limits", "timeout"},
                          ""))
    return e;
  if (body.contains("image")) {
    const json& im = body["image"];
    if (!im.is_string() || !image::tenant_image_ref(im.get<std::string>(), spec::kMaxImageRef))
      return bad("image",
                 "an image reference is required: a name as GET /v1/images shows it "
                 "(python:3.12, registry.example/team/app:1, NAME@sha256:HEX), its id "
                 "(sha256:HEX) or 12 or more hex digits of it");
    if (body.contains("rootfs")) return bad("image", "an image and a rootfs cannot both be given");
    s->image = im.get<std::string>();
  }
  // With an image, the command may be the image's own (its Entrypoint and Cmd).
  bool command_optional = !s->image.empty() && !body.contains("command");
  if (!command_optional &&
      (!body.contains("command") || !body["command"].is_array() || body["command"].empty()))
    return bad("command", s->image.empty()
                              ? "a non-empty array of strings is required"
                              : "a non-empty array of strings, or no command at all (the "
                                "image's Entrypoint and Cmd)");
  size_t bytes = 0;
  for (const auto& a : body.value("command", json::array())) {
    if (!a.is_string()) return bad("command", "every argument must be a string");
    std::string arg = a.get<std::string>();
    if (arg.find('\0') != std::string::npos) return bad("command", "NUL in an argument");
    bytes += arg.size() + 1;
    s->command.push_back(std::move(arg));
  }
  if (s->command.size() > spec::kMaxArgs) return bad("command", "too many arguments");
  if (body.contains("env")) {
    const json& env = body["env"];
    if (!env.is_object()) return bad("env", "an object of strings is required");
    if (env.size() > spec::kMaxEnv) return bad("env", "too many variables");
    for (const auto& [k, v] : env.items()) {
      if (!valid_env_name(k)) return bad("env." + k, "not a variable name");
      if (!v.is_string()) return bad("env." + k, "not a string");
      std::string val = v.get<std::string>();
      if (val.find('\0') != std::string::npos) return bad("env." + k, "NUL in the value");
      bytes += k.size() + val.size() + 2;
      s->env.emplace_back(k, std::move(val));
    }
  }
  if (bytes > spec::kMaxArgBytes) return bad("command", "arguments and environment too large");
  if (body.contains("files")) {
    if (auto e = parse_files(body["files"], s)) return e;
  }
  if (body.contains("upload")) {
    if (!body["upload"].is_string() || !valid_name(body["upload"].get<std::string>()))
      return bad("upload", "an upload id is required");
    s->upload = body["upload"].get<std::string>();
  }
  if (body.contains("stdin")) {
    if (auto e = parse_stdin(body["stdin"], s)) return e;
  }
  if (body.contains("rootfs")) {
    if (!body["rootfs"].is_string() || !valid_name(body["rootfs"].get<std::string>()))
      return bad("rootfs", "an image name ([a-z0-9._-]) is required");
    s->rootfs = body["rootfs"].get<std::string>();
  }
  if (body.contains("seccomp")) {
    std::string p = body["seccomp"].is_string() ? body["seccomp"].get<std::string>() : "";
    if (p != "default" && p != "strict") return bad("seccomp", "default or strict");
    s->seccomp = p;
  }
  return parse_limits(body, quota, s);
}

// The fields of a Quota, by their wire names. kind: 's' size, 'd' duration, 'm' milli,
// 'n' count, 'b' bool.
struct QuotaField {
  const char* name;
  char kind;
  void (*set)(Quota&, uint64_t);
  uint64_t (*get)(const Quota&);
};

constexpr QuotaField kQuotaFields[] = {
    {"max_running", 'n', [](Quota& q, uint64_t v) { q.max_running = static_cast<uint32_t>(v); },
     [](const Quota& q) -> uint64_t { return q.max_running; }},
    {"max_memory", 's', [](Quota& q, uint64_t v) { q.max_memory = v; },
     [](const Quota& q) -> uint64_t { return q.max_memory; }},
    {"max_cpus", 'm', [](Quota& q, uint64_t v) { q.max_cpu_millis = static_cast<uint32_t>(v); },
     [](const Quota& q) -> uint64_t { return q.max_cpu_millis; }},
    {"max_queued", 'n', [](Quota& q, uint64_t v) { q.max_queued = static_cast<uint32_t>(v); },
     [](const Quota& q) -> uint64_t { return q.max_queued; }},
    {"job_memory", 's', [](Quota& q, uint64_t v) { q.job_memory = v; },
     [](const Quota& q) -> uint64_t { return q.job_memory; }},
    {"job_cpus", 'm', [](Quota& q, uint64_t v) { q.job_cpu_millis = static_cast<uint32_t>(v); },
     [](const Quota& q) -> uint64_t { return q.job_cpu_millis; }},
    {"job_pids", 'n', [](Quota& q, uint64_t v) { q.job_pids = static_cast<uint32_t>(v); },
     [](const Quota& q) -> uint64_t { return q.job_pids; }},
    {"job_timeout", 'd', [](Quota& q, uint64_t v) { q.job_timeout_ns = v; },
     [](const Quota& q) -> uint64_t { return q.job_timeout_ns; }},
    {"job_disk", 's', [](Quota& q, uint64_t v) { q.job_disk = v; },
     [](const Quota& q) -> uint64_t { return q.job_disk; }},
    {"job_output", 's', [](Quota& q, uint64_t v) { q.job_output = v; },
     [](const Quota& q) -> uint64_t { return q.job_output; }},
    {"rate_per_minute", 'n',
     [](Quota& q, uint64_t v) { q.rate_per_minute = static_cast<uint32_t>(v); },
     [](const Quota& q) -> uint64_t { return q.rate_per_minute; }},
    {"queue_when_busy", 'b', [](Quota& q, uint64_t v) { q.queue_when_busy = v != 0; },
     [](const Quota& q) -> uint64_t { return uint64_t{q.queue_when_busy}; }},
    {"log_bytes", 's', [](Quota& q, uint64_t v) { q.log_bytes = v; },
     [](const Quota& q) -> uint64_t { return q.log_bytes; }},
    {"max_files", 'n', [](Quota& q, uint64_t v) { q.max_files = v; },
     [](const Quota& q) -> uint64_t { return q.max_files; }},
    {"job_files", 'n', [](Quota& q, uint64_t v) { q.job_files = v; },
     [](const Quota& q) -> uint64_t { return q.job_files; }},
    {"max_instances", 'n', [](Quota& q, uint64_t v) { q.max_instances = static_cast<uint32_t>(v); },
     [](const Quota& q) -> uint64_t { return q.max_instances; }},
    {"instances_disk", 's', [](Quota& q, uint64_t v) { q.instances_disk = v; },
     [](const Quota& q) -> uint64_t { return q.instances_disk; }},
    {"instances_memory", 's', [](Quota& q, uint64_t v) { q.instances_memory = v; },
     [](const Quota& q) -> uint64_t { return q.instances_memory; }},
    {"instances_cpus", 'm',
     [](Quota& q, uint64_t v) { q.instances_cpu_millis = static_cast<uint32_t>(v); },
     [](const Quota& q) -> uint64_t { return q.instances_cpu_millis; }},
};

}  // namespace

bool valid_relative_path(std::string_view path) {
  if (path.empty() || path.size() > kMaxFilePath || path[0] == '/') return false;
  size_t depth = 0;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view c = path.substr(start, end - start);
    if (c.empty() || c == "." || c == ".." || c.find('\0') != std::string_view::npos) return false;
    if (++depth > kMaxFileDepth) return false;
    start = end + 1;
  }
  return true;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!std::isalnum(static_cast<unsigned char>(name[0])) || std::isupper(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (std::isalnum(static_cast<unsigned char>(c)) && !std::isupper(c)) || c == '.' ||
           c == '_' || c == '-';
  });
}

bool is_tenant_id_form(std::string_view s) {
  return s.substr(0, kTenantIdPrefix.size()) == kTenantIdPrefix;
}

bool valid_tenant_name(std::string_view name) {
  return valid_name(name) && !is_tenant_id_form(name);
}

Parsed<JobSpec> parse_job_request(std::string_view body, const Quota& quota) {
  Parsed<JobSpec> out;
  if (body.size() > kMaxJobBody) {
    out.error = bad("", "the body is over " + format_size(kMaxJobBody), Refused::kTooLarge);
    return out;
  }
  std::optional<json> j = parse_body(body, &out.error);
  if (!j) return out;
  JobSpec s;
  if (auto e = parse_job(*j, quota, &s)) {
    out.error = *e;
    return out;
  }
  out.value = std::move(s);
  return out;
}

Parsed<TenantRequest> parse_tenant_request(std::string_view body, const Quota& base,
                                           bool name_required) {
  Parsed<TenantRequest> out;
  if (body.size() > 64 * 1024) {
    out.error = bad("", "the body is over 64K", Refused::kTooLarge);
    return out;
  }
  std::optional<json> parsed = parse_body(body, &out.error);
  if (!parsed) return out;
  const json& j = *parsed;
  if (!j.is_object()) {
    out.error = bad("", "the body is not a JSON object");
    return out;
  }
  if (auto e = only_known(j, {"name", "quota"}, "")) {
    out.error = *e;
    return out;
  }
  TenantRequest t;
  t.quota = base;
  if (j.contains("name")) {
    if (!j["name"].is_string() || !valid_tenant_name(j["name"].get<std::string>())) {
      out.error = bad("name",
                      "a name of [a-z0-9._-], at most 63 characters, not starting with \"t-\" "
                      "(which tenant ids take), is required");
      return out;
    }
    t.name = j["name"].get<std::string>();
  } else if (name_required) {
    out.error = bad("name", "required");
    return out;
  }
  if (j.contains("quota")) {
    const json& q = j["quota"];
    if (!q.is_object()) {
      out.error = bad("quota", "not an object");
      return out;
    }
    for (const auto& [k, v] : q.items()) {
      const QuotaField* f = nullptr;
      for (const auto& qf : kQuotaFields)
        if (k == qf.name) f = &qf;
      if (f == nullptr) {
        out.error = bad("quota." + k, "unknown field");
        return out;
      }
      std::optional<uint64_t> val;
      switch (f->kind) {
        case 's':
          val = json_size(v);
          break;
        case 'd':
          val = json_duration_ns(v);
          break;
        case 'm':
          val = milli_value(v);
          break;
        case 'n':
          val = count_value(v, 1u << 30);
          break;
        case 'b':
          if (v.is_boolean()) val = v.get<bool>() ? 1 : 0;
          break;
      }
      if (!val) {
        out.error = bad("quota." + k, "not a valid value");
        return out;
      }
      f->set(t.quota, *val);
    }
  }
  out.value = std::move(t);
  return out;
}

nlohmann::json quota_to_json(const Quota& q) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : kQuotaFields) {
    uint64_t v = f.get(q);
    switch (f.kind) {
      case 'b':
        out[f.name] = v != 0;
        break;
      case 'm':
        out[f.name] = static_cast<double>(v) / 1000;
        break;
      case 'd':  // as json_duration_ns reads it back: whole seconds as a number
        if (v % 1000000000ull == 0 && v / 1000000000ull <= 366ull * 24 * 3600) {
          out[f.name] = v / 1000000000ull;
        } else if (v % 1000000ull == 0) {
          out[f.name] = std::to_string(v / 1000000) + "ms";
        } else {
          out[f.name] = std::to_string(v) + "ns";
        }
        break;
      default:
        out[f.name] = v;
    }
  }
  return out;
}

}  // namespace cordon::jobs
