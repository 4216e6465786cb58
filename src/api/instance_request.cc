#include "api/instance_request.h"

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "base/json_values.h"
#include "base/parse.h"
#include "image/ref.h"
#include "instance/disk.h"
#include "instance/instance.h"
#include "spec/spec.h"

namespace cordon::api {
namespace {

using nlohmann::json;

// CPUs: a number (0.5) or text ("0.5"), in thousandths.
std::optional<uint64_t> millis_of(const json& v) {
  std::string text;
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > 1000000) return std::nullopt;
    return v.get<uint64_t>() * 1000;
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    if (!(d >= 0 && d < 1e6)) return std::nullopt;
    return static_cast<uint64_t>(d * 1000 + 0.5);
  } else if (v.is_string()) {
    text = v.get<std::string>();
  } else {
    return std::nullopt;
  }
  auto r = parse_milli(text);
  return r.ok() ? std::optional<uint64_t>(*r) : std::nullopt;
}

// An array of strings (argv) within bounds, or nullopt.
std::optional<std::vector<std::string>> argv_of(const json& v, bool may_be_empty) {
  if (!v.is_array() || v.size() > kMaxArgs || (!may_be_empty && v.empty())) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& a : v) {
    if (!a.is_string() || !valid_arg(a.get<std::string>())) return std::nullopt;
    out.push_back(a.get<std::string>());
  }
  return out;
}

// {"K": "V", ...} as --env K=V flags.
std::optional<std::vector<std::string>> env_of(const json& v) {
  if (!v.is_object() || v.size() > kMaxArgs) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& [k, val] : v.items()) {
    if (k.empty() || k.find('=') != std::string::npos || !val.is_string() || !valid_arg(k) ||
        !valid_arg(val.get<std::string>()))
      return std::nullopt;
    out.push_back("--env");
    out.push_back(k + "=" + val.get<std::string>());
  }
  return out;
}

std::optional<json> parse_object(std::string_view body, RequestError* error) {
  if (body.empty()) return json::object();
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = {400, "the body is not a JSON object", ""};
    return std::nullopt;
  }
  return j;
}

bool only_known(const json& j, std::initializer_list<const char*> keys, RequestError* error) {
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (std::none_of(keys.begin(), keys.end(), [&](const char* x) { return k == x; })) {
      *error = {400, "unknown field", k};
      return false;
    }
  }
  return true;
}

template <typename T>
std::optional<T> refuse(RequestError* error, int status, std::string message, std::string field) {
  *error = {status, std::move(message), std::move(field)};
  return std::nullopt;
}

}  // namespace

bool valid_short_name(const std::string& n) {
  return n.size() <= kMaxInstanceName && instance::valid_instance_name(n);
}

bool valid_arg(const std::string& a) {
  return a.size() <= kMaxArgBytes && a.find('\0') == std::string::npos;
}

std::optional<InstanceCreate> parse_instance_create(std::string_view body, uint64_t max_pids,
                                                    RequestError* error) {
  using R = InstanceCreate;
  auto parsed = parse_object(body, error);
  if (!parsed) return std::nullopt;
  const json& j = *parsed;
  if (!only_known(j,
                  {"name", "image", "command", "boot", "disk", "memory", "cpus", "pids", "env",
                   "stop_grace"},
                  error))
    return std::nullopt;
  R r;
  if (!j.contains("name") || !j["name"].is_string() ||
      !valid_short_name(j["name"].get<std::string>()))
    return refuse<R>(error, 400,
                     "[a-z0-9][a-z0-9-]*, at most " + std::to_string(kMaxInstanceName) +
                         " characters, is required",
                     "name");
  r.name = j["name"].get<std::string>();
  if (!j.contains("image") || !j["image"].is_string() ||
      !image::tenant_image_ref(j["image"].get<std::string>(), spec::kMaxImageRef))
    return refuse<R>(error, 400, "an image of the daemon's store (GET /v1/images) is required",
                     "image");
  r.image = j["image"].get<std::string>();
  r.disk = instance::kDefaultDiskBytes;
  r.memory = spec::Limits{}.memory_bytes;
  r.cpu_millis = spec::Limits{}.cpu_millis;
  if (j.contains("disk")) {
    auto v = json_size(j["disk"]);
    if (!v || *v < instance::kMinDiskBytes)
      return refuse<R>(error, 400, "a size of at least 256M", "disk");
    r.disk = *v;
    r.options.insert(r.options.end(), {"--disk", std::to_string(r.disk)});
  }
  if (j.contains("memory")) {
    auto v = json_size(j["memory"]);
    if (!v || *v < spec::kMinMemoryBytes) return refuse<R>(error, 400, "a size", "memory");
    r.memory = *v;
    r.options.insert(r.options.end(), {"--memory", std::to_string(r.memory)});
  }
  if (j.contains("cpus")) {
    auto v = millis_of(j["cpus"]);
    if (!v || *v < 10 || *v > UINT32_MAX) return refuse<R>(error, 400, "at least 0.01", "cpus");
    r.cpu_millis = *v;
    r.options.insert(r.options.end(), {"--cpus", format_milli(r.cpu_millis)});
  }
  if (j.contains("pids")) {
    if (!j["pids"].is_number_unsigned() || j["pids"].get<uint64_t>() < spec::kMinPids)
      return refuse<R>(error, 400, "a number of at least " + std::to_string(spec::kMinPids),
                       "pids");
    if (j["pids"].get<uint64_t>() > max_pids)
      return refuse<R>(error, 422,
                       "at most the tenant's job_pids (" + std::to_string(max_pids) + ")", "pids");
    r.options.insert(r.options.end(), {"--pids", std::to_string(j["pids"].get<uint64_t>())});
  }
  if (j.contains("stop_grace")) {
    auto g = json_duration_ns(j["stop_grace"]);
    if (!g || *g > 3600ull * 1000000000)
      return refuse<R>(error, 400, "a duration of at most 1h", "stop_grace");
    r.options.insert(r.options.end(), {"--stop-grace", j["stop_grace"].get<std::string>()});
  }
  if (j.contains("boot")) {
    if (!j["boot"].is_boolean()) return refuse<R>(error, 400, "true or false", "boot");
    if (j["boot"].get<bool>()) r.options.push_back("--boot");
  }
  if (j.contains("env")) {
    auto env = env_of(j["env"]);
    if (!env) return refuse<R>(error, 400, "an object of strings (NAME: value)", "env");
    r.options.insert(r.options.end(), env->begin(), env->end());
  }
  if (j.contains("command")) {
    auto argv = argv_of(j["command"], /*may_be_empty=*/true);
    if (!argv) return refuse<R>(error, 400, "an array of strings", "command");
    r.command = std::move(*argv);
    r.has_command = true;
  }
  return r;
}

std::optional<InstanceExec> parse_instance_exec(std::string_view body, RequestError* error) {
  using R = InstanceExec;
  auto parsed = parse_object(body, error);
  if (!parsed) return std::nullopt;
  const json& j = *parsed;
  if (!only_known(j, {"command", "env", "user", "workdir", "stdin", "timeout"}, error))
    return std::nullopt;
  R r;
  auto argv = j.contains("command") ? argv_of(j["command"], false) : std::nullopt;
  if (!argv) return refuse<R>(error, 400, "a non-empty array of strings is required", "command");
  r.command = std::move(*argv);
  if (j.contains("user")) {
    if (!j["user"].is_string() || j["user"].get<std::string>().empty() ||
        !valid_arg(j["user"].get<std::string>()) || j["user"].get<std::string>()[0] == '-')
      return refuse<R>(error, 400, "U[:G] (names or IDs of the instance)", "user");
    r.options.insert(r.options.end(), {"--user", j["user"].get<std::string>()});
  }
  if (j.contains("workdir")) {
    if (!j["workdir"].is_string() || !valid_arg(j["workdir"].get<std::string>()) ||
        j["workdir"].get<std::string>().empty() || j["workdir"].get<std::string>()[0] != '/')
      return refuse<R>(error, 400, "an absolute path", "workdir");
    r.options.insert(r.options.end(), {"--workdir", j["workdir"].get<std::string>()});
  }
  if (j.contains("env")) {
    auto env = env_of(j["env"]);
    if (!env) return refuse<R>(error, 400, "an object of strings (NAME: value)", "env");
    r.options.insert(r.options.end(), env->begin(), env->end());
  }
  if (j.contains("timeout")) {
    auto t = json_duration_ns(j["timeout"]);
    if (!t || *t < 1000000 || *t / 1000000 > kMaxExecTimeoutMs)
      return refuse<R>(error, 400, "a duration of at most 10m", "timeout");
    r.timeout_ms = *t / 1000000;
  }
  if (j.contains("stdin")) {
    if (!j["stdin"].is_string())
      return refuse<R>(error, 400, "a string (the bytes, UTF-8)", "stdin");
    r.stdin_data = j["stdin"].get<std::string>();
  }
  return r;
}

}  // namespace cordon::api
