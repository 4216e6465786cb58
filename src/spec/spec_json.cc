#include "spec/spec_json.h"

#include <limits>
#include <optional>
#include <set>
#include <vector>

#include "base/json_strict.h"

namespace cordon::spec {

using nlohmann::json;

namespace {

// Deeper than any spec: binds and limits are two levels under the top.
constexpr size_t kMaxSpecDepth = 8;

Error refused(const std::string& field, const std::string& why) {
  return logic_error("invalid spec", field, why);
}

// Reads one object's fields, each at most once, and refuses any it did not take.
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  Status object() const {
    if (!j_.is_object()) return refused(name(""), "must be an object");
    return {};
  }
  const json* get(const char* key) {
    taken_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  std::string name(const std::string& key) const {
    return where_.empty() ? key : key.empty() ? where_ : where_ + "." + key;
  }
  Status unknown() const {
    for (const auto& [k, v] : j_.items())
      if (!taken_.count(k)) return refused(name(k), "is not a field of a sandbox spec");
    return {};
  }

  Status str(const char* key, std::string* out) {
    const json* v = get(key);
    if (v == nullptr) return {};
    if (!v->is_string()) return refused(name(key), "must be a string");
    *out = v->get<std::string>();
    return {};
  }
  Status boolean(const char* key, bool* out) {
    const json* v = get(key);
    if (v == nullptr) return {};
    if (!v->is_boolean()) return refused(name(key), "must be true or false");
    *out = v->get<bool>();
    return {};
  }
  template <typename T>
  Status uint(const char* key, T* out) {
    const json* v = get(key);
    if (v == nullptr) return {};
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
      return refused(name(key), "must be a whole number, 0 or more");
    uint64_t n = v->get<uint64_t>();
    if (n > std::numeric_limits<T>::max()) return refused(name(key), "is too large");
    *out = static_cast<T>(n);
    return {};
  }
  Status strings(const char* key, std::vector<std::string>* out) {
    const json* v = get(key);
    if (v == nullptr) return {};
    if (!v->is_array()) return refused(name(key), "must be an array of strings");
    out->clear();
    for (const auto& s : *v) {
      if (!s.is_string()) return refused(name(key), "must be an array of strings");
      out->push_back(s.get<std::string>());
    }
    return {};
  }

 private:
  const json& j_;
  std::string where_;
  std::set<std::string> taken_;
};

json network_json(const NetworkSpec& n) {
  json allow = json::array(), unsafe = json::array(), publish = json::array();
  for (const auto& r : n.allow) allow.push_back(to_string(r));
  for (const auto& r : n.unsafe_allow) unsafe.push_back(to_string(r));
  for (const auto& p : n.publish) publish.push_back(to_string(p));
  return {{"mode", to_string(n.mode)},
          {"allow", allow},
          {"allow_domains", n.allow_domains},
          {"unsafe_allow", unsafe},
          {"egress_bps", n.egress_bps},
          {"ingress_bps", n.ingress_bps},
          {"conn_rate", n.conn_rate},
          {"max_conns", n.max_conns},
          {"publish", publish}};
}

Status network_from(const json& j, NetworkSpec* n) {
  Fields f(j, "network");
  TRY(f.object());
  std::string mode = to_string(n->mode);
  TRY(f.str("mode", &mode));
  auto m = parse_net_mode(mode);
  if (!m.ok()) return refused("network.mode", "must be none or egress");
  n->mode = *m;
  std::vector<std::string> texts;
  for (auto [key, out] :
       {std::pair{"allow", &n->allow}, std::pair{"unsafe_allow", &n->unsafe_allow}}) {
    texts.clear();
    TRY(f.strings(key, &texts));
    if (texts.size() > kMaxNetRules) return refused(f.name(key), "has too many rules");
    for (const auto& t : texts) {
      auto r = parse_net_rule(t);
      if (!r.ok()) return refused(f.name(key), r.error().detail);
      out->push_back(std::move(r).value());
    }
  }
  texts.clear();
  TRY(f.strings("allow_domains", &texts));
  if (texts.size() > kMaxDomains) return refused("network.allow_domains", "has too many domains");
  for (const auto& t : texts) {
    auto d = parse_domain_pattern(t);
    if (!d.ok()) return refused("network.allow_domains", d.error().detail);
    n->allow_domains.push_back(std::move(d).value());
  }
  TRY(f.uint("egress_bps", &n->egress_bps));
  TRY(f.uint("ingress_bps", &n->ingress_bps));
  TRY(f.uint("conn_rate", &n->conn_rate));
  TRY(f.uint("max_conns", &n->max_conns));
  texts.clear();
  TRY(f.strings("publish", &texts));
  if (texts.size() > kMaxPublish) return refused("network.publish", "has too many ports");
  for (const auto& t : texts) {
    auto p = parse_publish_rule(t);
    if (!p.ok()) return refused("network.publish", p.error().detail);
    n->publish.push_back(*p);
  }
  return f.unknown();
}

json limits_json(const Limits& l) {
  json io = json::array();
  for (const auto& d : l.io)
    io.push_back({{"device", d.device},
                  {"major", d.major},
                  {"minor", d.minor},
                  {"read_bps", d.read_bps},
                  {"write_bps", d.write_bps}});
  return {{"memory_bytes", l.memory_bytes},
          {"memory_swap_bytes", l.memory_swap_bytes ? json(*l.memory_swap_bytes) : json(nullptr)},
          {"pids", l.pids},
          {"cpu_millis", l.cpu_millis},
          {"cpu_weight", l.cpu_weight},
          {"io", io},
          {"wall_ns", l.wall_ns},
          {"cpu_time_ns", l.cpu_time_ns},
          {"output_bytes", l.output_bytes},
          {"nofile", l.nofile},
          {"fsize_bytes", l.fsize_bytes},
          {"stack_bytes", l.stack_bytes}};
}

Status limits_from(const json& j, Limits* l) {
  Fields f(j, "limits");
  TRY(f.object());
  TRY(f.uint("memory_bytes", &l->memory_bytes));
  if (const json* v = f.get("memory_swap_bytes"); v != nullptr && !v->is_null()) {
    if (!v->is_number_unsigned())
      return refused("limits.memory_swap_bytes", "must be bytes or null");
    l->memory_swap_bytes = v->get<uint64_t>();
  }
  TRY(f.uint("pids", &l->pids));
  TRY(f.uint("cpu_millis", &l->cpu_millis));
  TRY(f.uint("cpu_weight", &l->cpu_weight));
  if (const json* v = f.get("io"); v != nullptr) {
    if (!v->is_array() || v->size() > kMaxIoLimits)
      return refused("limits.io", "must be an array of at most 16 device limits");
    for (const auto& d : *v) {
      Fields g(d, "limits.io[]");
      TRY(g.object());
      IoLimit io;
      TRY(g.str("device", &io.device));
      TRY(g.uint("major", &io.major));
      TRY(g.uint("minor", &io.minor));
      TRY(g.uint("read_bps", &io.read_bps));
      TRY(g.uint("write_bps", &io.write_bps));
      TRY(g.unknown());
      l->io.push_back(std::move(io));
    }
  }
  TRY(f.uint("wall_ns", &l->wall_ns));
  TRY(f.uint("cpu_time_ns", &l->cpu_time_ns));
  TRY(f.uint("output_bytes", &l->output_bytes));
  TRY(f.uint("nofile", &l->nofile));
  TRY(f.uint("fsize_bytes", &l->fsize_bytes));
  TRY(f.uint("stack_bytes", &l->stack_bytes));
  return f.unknown();
}

Result<SeccompChoice> seccomp_from(const json& j) {
  Fields f(j, "seccomp");
  TRY(f.object());
  std::string kind = "default";
  SeccompChoice c;
  TRY(f.str("kind", &kind));
  TRY(f.str("path", &c.path));
  TRY(f.unknown());
  if (kind == "default") {
    c.kind = SeccompChoice::Kind::kDefault;
  } else if (kind == "strict") {
    c.kind = SeccompChoice::Kind::kStrict;
  } else if (kind == "unconfined") {
    c.kind = SeccompChoice::Kind::kUnconfined;
  } else if (kind == "file") {
    c.kind = SeccompChoice::Kind::kFile;
  } else {
    return refused("seccomp.kind", "must be default, strict, unconfined or file");
  }
  if (c.kind != SeccompChoice::Kind::kFile && !c.path.empty())
    return refused("seccomp.path", "only a file profile has a path");
  return c;
}

}  // namespace

json to_json(const SandboxSpec& s) {
  json env = json::array();
  for (const auto& [k, v] : s.env) env.push_back({{"name", k}, {"value", v}});
  json binds = json::array();
  for (const auto& b : s.binds)
    binds.push_back({{"source", b.source},
                     {"target", b.target},
                     {"writable", b.writable},
                     {"owner", to_string(b.owner)},
                     {"owned_by_sandbox", b.owned_by_sandbox}});
  json seccomp = {{"kind", to_string(s.seccomp.kind)}};
  if (s.seccomp.kind == SeccompChoice::Kind::kFile) seccomp["path"] = s.seccomp.path;
  return {{"argv", s.argv},
          {"env", env},
          {"rootfs", s.rootfs ? json(*s.rootfs) : json(nullptr)},
          {"image", s.image ? json({{"store", s.image->store},
                                    {"ref", s.image->ref},
                                    {"id", s.image->id},
                                    {"layers", s.image->layers}})
                            : json(nullptr)},
          {"binds", binds},
          {"workdir", s.workdir},
          {"hostname", s.hostname},
          {"uid", s.uid},
          {"gid", s.gid},
          {"caps", to_string(s.caps)},
          {"disk_bytes", s.disk_bytes},
          {"limits", limits_json(s.limits)},
          {"cgroup_parent", s.cgroup_parent},
          {"no_cgroup", s.no_cgroup},
          {"seccomp", seccomp},
          {"seccomp_report", s.seccomp_report},
          {"tty", s.tty},
          {"boot", s.boot},
          {"stop_grace_ns", s.stop_grace_ns},
          {"persistent_upper", s.persistent_upper ? json(*s.persistent_upper) : json(nullptr)},
          {"slot_base", s.slot_base ? json(*s.slot_base) : json(nullptr)},
          {"network", network_json(s.network)}};
}

Result<SandboxSpec> spec_from_json(const json& j) {
  SandboxSpec s;
  Fields f(j, "");
  TRY(f.object());
  TRY(f.strings("argv", &s.argv));
  if (const json* v = f.get("env"); v != nullptr) {
    if (!v->is_array() || v->size() > kMaxEnv)
      return refused("env", "must be an array of at most 1024 {name, value} objects");
    for (const auto& e : *v) {
      Fields g(e, "env[]");
      TRY(g.object());
      std::string name, value;
      TRY(g.str("name", &name));
      TRY(g.str("value", &value));
      TRY(g.unknown());
      s.env.emplace_back(std::move(name), std::move(value));
    }
  }
  if (const json* v = f.get("rootfs"); v != nullptr && !v->is_null()) {
    if (!v->is_string()) return refused("rootfs", "must be a path or null");
    s.rootfs = v->get<std::string>();
  }
  if (const json* v = f.get("image"); v != nullptr && !v->is_null()) {
    Fields g(*v, "image");
    TRY(g.object());
    ImageRoot im;
    TRY(g.str("store", &im.store));
    TRY(g.str("ref", &im.ref));
    TRY(g.str("id", &im.id));
    TRY(g.strings("layers", &im.layers));
    TRY(g.unknown());
    s.image = std::move(im);
  }
  if (const json* v = f.get("binds"); v != nullptr) {
    if (!v->is_array() || v->size() > kMaxBinds)
      return refused("binds", "must be an array of at most 64 binds");
    for (const auto& b : *v) {
      Fields g(b, "binds[]");
      TRY(g.object());
      BindMount m;
      TRY(g.str("source", &m.source));
      TRY(g.str("target", &m.target));
      TRY(g.boolean("writable", &m.writable));
      if (const json* o = g.get("owner"); o != nullptr) {
        if (!o->is_string()) return refused("binds[].owner", "must be auto, owner or plain");
        auto owner = parse_bind_owner(o->get<std::string>());
        if (!owner.ok()) return refused("binds[].owner", "must be auto, owner or plain");
        m.owner = *owner;
      }
      TRY(g.boolean("owned_by_sandbox", &m.owned_by_sandbox));
      TRY(g.unknown());
      s.binds.push_back(std::move(m));
    }
  }
  TRY(f.str("workdir", &s.workdir));
  TRY(f.str("hostname", &s.hostname));
  TRY(f.uint("uid", &s.uid));
  TRY(f.uint("gid", &s.gid));
  if (const json* v = f.get("caps"); v != nullptr) {
    if (!v->is_string()) return refused("caps", "must be default or none");
    auto caps = parse_caps_choice(v->get<std::string>());
    if (!caps.ok()) return refused("caps", "must be default or none");
    s.caps = *caps;
  }
  TRY(f.uint("disk_bytes", &s.disk_bytes));
  if (const json* v = f.get("limits"); v != nullptr) TRY(limits_from(*v, &s.limits));
  TRY(f.str("cgroup_parent", &s.cgroup_parent));
  TRY(f.boolean("no_cgroup", &s.no_cgroup));
  if (const json* v = f.get("seccomp"); v != nullptr) {
    ASSIGN_OR_RETURN(s.seccomp, seccomp_from(*v));
  }
  TRY(f.boolean("seccomp_report", &s.seccomp_report));
  TRY(f.boolean("tty", &s.tty));
  TRY(f.boolean("boot", &s.boot));
  TRY(f.uint("stop_grace_ns", &s.stop_grace_ns));
  if (const json* v = f.get("persistent_upper"); v != nullptr && !v->is_null()) {
    if (!v->is_string()) return refused("persistent_upper", "must be a path or null");
    s.persistent_upper = v->get<std::string>();
  }
  if (const json* v = f.get("slot_base"); v != nullptr && !v->is_null()) {
    if (!v->is_number_unsigned()) return refused("slot_base", "must be a whole number or null");
    s.slot_base = v->get<uint64_t>();
  }
  if (const json* v = f.get("network"); v != nullptr) TRY(network_from(*v, &s.network));
  TRY(f.unknown());
  TRY(validate(s));
  return s;
}

Result<SandboxSpec> spec_from_json_text(std::string_view text) {
  if (text.size() > kMaxSpecJsonBytes) return refused("spec", "is larger than its limit");
  // Duplicate keys refused: two values for one field would let two readers of the same
  // text disagree about what was asked.
  JsonError error;
  std::optional<json> j = parse_json_strict(text, kMaxSpecDepth, &error);
  if (!j)
    return error.key.empty() ? refused("spec", "is " + error.message)
                             : refused(error.key, "is given twice");
  return spec_from_json(*j);
}

}  // namespace cordon::spec
