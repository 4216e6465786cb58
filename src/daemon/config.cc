#include "daemon/config.h"

#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/parse.h"
#include "jobs/job_request.h"

namespace cordon::daemon {
namespace {

enum class Kind { kString, kCount, kSize, kDuration, kMode, kBool };

struct Key {
  const char* name;
  Kind kind;
  void* (*field)(Config&);
};

#define CORDON_KEY(name, kind)                               \
  Key {                                                      \
#name, kind, [](Config & c) -> void* { return &c.name; } \
  }

const Key kKeys[] = {
    CORDON_KEY(socket, Kind::kString),
    CORDON_KEY(socket_mode, Kind::kMode),
    CORDON_KEY(socket_group, Kind::kString),
    CORDON_KEY(listen, Kind::kString),
    CORDON_KEY(tls_cert, Kind::kString),
    CORDON_KEY(tls_key, Kind::kString),
    CORDON_KEY(plain_tcp, Kind::kBool),
    CORDON_KEY(state_dir, Kind::kString),
    CORDON_KEY(run_dir, Kind::kString),
    CORDON_KEY(images_dir, Kind::kString),
    CORDON_KEY(image_store, Kind::kString),
    CORDON_KEY(cgroup_parent, Kind::kString),
    CORDON_KEY(operator_token_file, Kind::kString),
    CORDON_KEY(max_running, Kind::kCount),
    CORDON_KEY(workers, Kind::kCount),
    Key{"idle_timeout", Kind::kDuration, [](Config& c) -> void* { return &c.idle_timeout_ns; }},
    // The older name of idle_timeout, still read.
    Key{"read_timeout", Kind::kDuration, [](Config& c) -> void* { return &c.idle_timeout_ns; }},
    Key{"header_timeout", Kind::kDuration, [](Config& c) -> void* { return &c.header_timeout_ns; }},
    Key{"request_timeout", Kind::kDuration,
        [](Config& c) -> void* { return &c.request_timeout_ns; }},
    Key{"write_timeout", Kind::kDuration, [](Config& c) -> void* { return &c.write_timeout_ns; }},
    CORDON_KEY(max_requests_per_connection, Kind::kCount),
    CORDON_KEY(max_connections, Kind::kCount),
    CORDON_KEY(max_connections_per_peer, Kind::kCount),
    CORDON_KEY(max_followers, Kind::kCount),
    CORDON_KEY(max_followers_per_tenant, Kind::kCount),
    CORDON_KEY(max_terminals, Kind::kCount),
    CORDON_KEY(max_terminals_per_tenant, Kind::kCount),
    CORDON_KEY(max_instance_calls, Kind::kCount),
    CORDON_KEY(max_instance_calls_per_tenant, Kind::kCount),
    CORDON_KEY(max_upload, Kind::kSize),
    Key{"retention", Kind::kDuration, [](Config& c) -> void* { return &c.retention_ns; }},
    Key{"stop_grace", Kind::kDuration, [](Config& c) -> void* { return &c.stop_grace_ns; }},
    Key{"cancel_grace", Kind::kDuration, [](Config& c) -> void* { return &c.cancel_grace_ns; }},
    CORDON_KEY(netns_pool, Kind::kCount),
};
#undef CORDON_KEY

Status bad(const std::string& key, const std::string& why) {
  return logic_error("config", key, why);
}

bool absolute_path_ok(const std::string& v) {
  // Kept free of ':' so that it can be written as a --bind argument by hand.
  return !v.empty() && v[0] == '/' && v.find(':') == std::string::npos && v.size() < 4096;
}

std::string toml_to_text(const toml::node& n) {
  if (auto s = n.as_string()) return s->get();
  if (auto i = n.as_integer()) return i->get() < 0 ? "-" : std::to_string(i->get());
  if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
  if (auto f = n.as_floating_point()) {
    std::ostringstream os;
    os << f->get();
    return os.str();
  }
  return "\x01";  // a table or an array: no key takes one; refused by the setter
}

}  // namespace

Status set_key(Config* c, const std::string& key, const std::string& value) {
  constexpr std::string_view kQuota = "default_quota.";
  if (key.compare(0, kQuota.size(), kQuota) == 0) {
    // A flag for one field of [default_quota]: a number, true/false, or text ("4G").
    std::string field = key.substr(kQuota.size());
    nlohmann::json v = value;
    if (value == "true" || value == "false") {
      v = value == "true";
    } else if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos &&
               value.size() < 19) {
      v = std::stoull(value);
    }
    auto r = jobs::parse_tenant_request(nlohmann::json{{"quota", {{field, v}}}}.dump(),
                                        c->default_quota, false);
    if (!r.ok()) return bad(key, r.error.message);
    c->default_quota = r.value->quota;
    return {};
  }
  for (const auto& k : kKeys) {
    if (key != k.name) continue;
    void* f = k.field(*c);
    switch (k.kind) {
      case Kind::kString: {
        bool path = key != "listen" && key != "socket_group" && key != "cgroup_parent";
        if (path &&
            !(value.empty() &&
              (key == "operator_token_file" || key == "tls_cert" || key == "tls_key")) &&
            !absolute_path_ok(value))
          return bad(key, "an absolute path without ':' is required");
        *static_cast<std::string*>(f) = value;
        return {};
      }
      case Kind::kCount: {
        auto n = parse_uint(value, key == "netns_pool" ? 0 : 1, 100000);
        if (!n.ok()) return bad(key, "a count is required");
        *static_cast<uint32_t*>(f) = static_cast<uint32_t>(*n);
        return {};
      }
      case Kind::kSize: {
        auto n = parse_size(value);
        if (!n.ok()) return bad(key, "a size such as 64M is required");
        *static_cast<uint64_t*>(f) = *n;
        return {};
      }
      case Kind::kDuration: {
        auto n = parse_duration_ns(value);
        if (!n.ok()) return bad(key, "a duration such as 30s or 168h is required");
        *static_cast<uint64_t*>(f) = *n;
        return {};
      }
      case Kind::kMode: {
        char* end = nullptr;
        unsigned long m = std::strtoul(value.c_str(), &end, 8);
        if (value.empty() || *end != '\0' || m > 0777) return bad(key, "an octal mode is required");
        *static_cast<mode_t*>(f) = static_cast<mode_t>(m);
        return {};
      }
      case Kind::kBool:
        if (value != "true" && value != "false") return bad(key, "true or false");
        *static_cast<bool*>(f) = value == "true";
        return {};
    }
  }
  return bad(key, "unknown key");
}

Status load_file(Config* c, const std::string& path, bool missing_ok) {
  FILE* probe = std::fopen(path.c_str(), "re");
  if (probe == nullptr) {
    if (errno == ENOENT && missing_ok) return {};
    return sys_error("open config", path);
  }
  std::fclose(probe);
  toml::parse_result parsed = toml::parse_file(path);
  if (!parsed) {
    const auto& e = parsed.error();
    return logic_error(
        "config", path,
        std::string(e.description()) + " at line " + std::to_string(e.source().begin.line));
  }
  for (const auto& [k, v] : parsed.table()) {
    std::string key(k.str());
    if (key == "default_quota") {
      const toml::table* t = v.as_table();
      if (t == nullptr) return bad(key, "a table is required");
      nlohmann::json q = nlohmann::json::object();
      for (const auto& [qk, qv] : *t) {
        if (auto b = qv.as_boolean())
          q[std::string(qk.str())] = b->get();
        else if (auto i = qv.as_integer())
          q[std::string(qk.str())] = i->get();
        else if (auto f = qv.as_floating_point())
          q[std::string(qk.str())] = f->get();
        else
          q[std::string(qk.str())] = toml_to_text(qv);
      }
      auto r =
          jobs::parse_tenant_request(nlohmann::json{{"quota", q}}.dump(), c->default_quota, false);
      if (!r.ok())
        return bad(key + "." + r.error.field.substr(r.error.field.find('.') + 1), r.error.message);
      c->default_quota = r.value->quota;
      continue;
    }
    TRY(set_key(c, key, toml_to_text(v)));
  }
  return {};
}

std::vector<std::string> keys() {
  std::vector<std::string> out;
  for (const auto& k : kKeys) out.emplace_back(k.name);
  return out;
}

std::string describe(const Config& c) {
  // As the configuration file says it (same keys, same units), so that it can be fed
  // back as one: sizes as "64M", durations as "30s", the mode as octal text.
  Config copy = c;  // Key::field takes a mutable Config
  toml::table out;
  for (const auto& k : kKeys) {
    std::string name = k.name;
    if (name == "read_timeout") continue;  // an alias of idle_timeout
    void* f = k.field(copy);
    switch (k.kind) {
      case Kind::kString:
        out.insert(name, *static_cast<std::string*>(f));
        break;
      case Kind::kCount:
        out.insert(name, static_cast<int64_t>(*static_cast<uint32_t*>(f)));
        break;
      case Kind::kSize:
        out.insert(name, format_size(*static_cast<uint64_t*>(f)));
        break;
      case Kind::kDuration:
        out.insert(name, format_duration_ns(*static_cast<uint64_t*>(f)));
        break;
      case Kind::kMode: {
        char mode[8];
        std::snprintf(mode, sizeof(mode), "0%03o", static_cast<unsigned>(*static_cast<mode_t*>(f)));
        out.insert(name, std::string(mode));
        break;
      }
      case Kind::kBool:
        out.insert(name, *static_cast<bool*>(f));
        break;
    }
  }
  toml::table quota;
  const nlohmann::json quota_json = jobs::quota_to_json(c.default_quota);  // outlives items()
  for (const auto& [k, v] : quota_json.items()) {
    if (v.is_boolean()) {
      quota.insert(k, v.get<bool>());
    } else if (v.is_number_integer()) {
      quota.insert(k, v.get<int64_t>());
    } else if (v.is_number()) {
      quota.insert(k, v.get<double>());
    } else {
      quota.insert(k, v.get<std::string>());
    }
  }
  out.insert("default_quota", std::move(quota));
  std::ostringstream os;
  os << out;
  return os.str();
}

}  // namespace cordon::daemon
