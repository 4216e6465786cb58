#include "spec/network.h"

#include <arpa/inet.h>

#include <algorithm>

namespace cordon::spec {

namespace {

Error bad(const std::string& field, const std::string& why) {
  return logic_error("invalid spec", field, why);
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

Result<uint16_t> parse_port(std::string_view s, const char* field) {
  uint32_t v = 0;
  if (s.empty() || s.size() > 5) return bad(field, "'" + std::string(s) + "' is not a port");
  for (char c : s) {
    if (c < '0' || c > '9') return bad(field, "'" + std::string(s) + "' is not a port");
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return bad(field, "ports are 1 to 65535");
  return static_cast<uint16_t>(v);
}

Result<std::vector<PortRange>> parse_ports(std::string_view s) {
  std::vector<PortRange> out;
  while (true) {
    size_t comma = s.find(',');
    std::string_view one = s.substr(0, comma);
    size_t dash = one.find('-');
    PortRange r;
    ASSIGN_OR_RETURN(r.first, parse_port(one.substr(0, dash), "allow"));
    r.last = r.first;
    if (dash != std::string_view::npos) {
      ASSIGN_OR_RETURN(r.last, parse_port(one.substr(dash + 1), "allow"));
      if (r.last < r.first) return bad("allow", "a port range runs low to high");
    }
    out.push_back(r);
    if (out.size() > 64) return bad("allow", "at most 64 port ranges in one rule");
    if (comma == std::string_view::npos) break;
    s = s.substr(comma + 1);
  }
  return out;
}

// "ADDR[/LEN]" of one family into a canonical block (host bits cleared).
Result<NetRule> parse_cidr(std::string_view text) {
  NetRule r;
  size_t slash = text.find('/');
  std::string addr(text.substr(0, slash));
  unsigned char bytes[16] = {};
  if (addr.find(':') != std::string::npos) {
    r.family = 6;
    if (inet_pton(AF_INET6, addr.c_str(), bytes) != 1)
      return bad("allow", "'" + addr + "' is not an IPv6 address");
  } else if (inet_pton(AF_INET, addr.c_str(), bytes) != 1) {
    return bad("allow", "'" + addr + "' is not an IPv4 address");
  }
  const unsigned max = r.family == 4 ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    std::string_view l = text.substr(slash + 1);
    if (l.empty() || l.size() > 3)
      return bad("allow", "'" + std::string(text) + "' has no prefix length");
    len = 0;
    for (char c : l) {
      if (c < '0' || c > '9')
        return bad("allow", "'" + std::string(l) + "' is not a prefix length");
      len = len * 10 + static_cast<unsigned>(c - '0');
    }
    if (len > max) return bad("allow", "a prefix length is at most " + std::to_string(max));
  }
  for (unsigned bit = len; bit < max; ++bit)
    bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(r.family == 4 ? AF_INET : AF_INET6, bytes, out, sizeof out);
  r.address = out;
  r.prefix = static_cast<uint8_t>(len);
  return r;
}

std::string ports_text(const std::vector<PortRange>& ports) {
  std::string s;
  for (const auto& p : ports) {
    if (!s.empty()) s += ',';
    s += std::to_string(p.first);
    if (p.last != p.first) s += "-" + std::to_string(p.last);
  }
  return s;
}

bool valid_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

const char* to_string(NetMode m) {
  return m == NetMode::kEgress ? "egress" : "none";
}

Result<NetMode> parse_net_mode(std::string_view word) {
  if (word == "none") return NetMode::kNone;
  if (word == "egress") return NetMode::kEgress;
  return bad("net", "'" + std::string(word) + "' is not a network mode (none or egress)");
}

const char* to_string(NetProto p) {
  return p == NetProto::kTcp ? "tcp" : p == NetProto::kUdp ? "udp" : "any";
}

std::string NetRule::cidr() const {
  return address + "/" + std::to_string(prefix);
}

Result<NetRule> parse_net_rule(std::string_view text) {
  if (text.empty() || text.size() > 512) return bad("allow", "a rule is CIDR[:PORTS][/PROTO]");
  NetProto proto = NetProto::kAny;
  if (ends_with(text, "/tcp") || ends_with(text, "/udp")) {
    proto = ends_with(text, "/tcp") ? NetProto::kTcp : NetProto::kUdp;
    text.remove_suffix(4);
  }
  std::string_view cidr = text, ports;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos)
      return bad("allow", "'[' without ']' in '" + std::string(text) + "'");
    cidr = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("allow", "after ']' come ':PORTS'");
      ports = rest.substr(1);
      if (ports.empty()) return bad("allow", "':' without ports");
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    cidr = text.substr(0, colon);
    ports = text.substr(colon + 1);
    if (ports.empty()) return bad("allow", "':' without ports");
  }
  ASSIGN_OR_RETURN(NetRule r, parse_cidr(cidr));
  r.proto = proto;
  if (!ports.empty()) {
    ASSIGN_OR_RETURN(r.ports, parse_ports(ports));
  }
  return r;
}

std::string to_string(const NetRule& r) {
  std::string s = r.cidr();
  if (!r.ports.empty()) s = (r.family == 6 ? "[" + s + "]" : s) + ":" + ports_text(r.ports);
  if (r.proto != NetProto::kAny) s += std::string("/") + to_string(r.proto);
  return s;
}

Result<PublishRule> parse_publish_rule(std::string_view text) {
  PublishRule r;
  if (ends_with(text, "/tcp") || ends_with(text, "/udp")) {
    r.proto = ends_with(text, "/tcp") ? NetProto::kTcp : NetProto::kUdp;
    text.remove_suffix(4);
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return bad("publish", "'" + std::string(text) + "' is not HOSTPORT:PORT[/tcp|/udp]");
  ASSIGN_OR_RETURN(r.host_port, parse_port(text.substr(0, colon), "publish"));
  ASSIGN_OR_RETURN(r.port, parse_port(text.substr(colon + 1), "publish"));
  return r;
}

std::string to_string(const PublishRule& r) {
  return std::to_string(r.host_port) + ":" + std::to_string(r.port) + "/" + to_string(r.proto);
}

Result<std::string> parse_domain_pattern(std::string_view text) {
  std::string s = lower(text);
  if (!s.empty() && s.back() == '.') s.pop_back();
  std::string_view name = s;
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  if (name.empty() || name.size() > kMaxDomainLength)
    return bad("allow_domains", "'" + std::string(text) + "' is not a domain name");
  size_t label = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63)
        return bad("allow_domains", "'" + std::string(text) + "' has an empty or overlong label");
      label = 0;
      continue;
    }
    if (!valid_label_char(name[i]))
      return bad("allow_domains",
                 "'" + std::string(text) + "' is not a domain name (letters, digits, '-', '.')");
    ++label;
  }
  if (name.find('.') == std::string_view::npos && s.substr(0, 2) == "*.")
    return bad("allow_domains", "'" + std::string(text) + "' would allow a whole top-level domain");
  return s;
}

bool domain_matches(std::string_view pattern, std::string_view name) {
  std::string n = lower(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  if (pattern.substr(0, 2) == "*.") {
    std::string_view base = pattern.substr(1);  // ".NAME"
    return n.size() > base.size() && std::string_view(n).substr(n.size() - base.size()) == base;
  }
  return n == pattern;
}

Status validate_network(const NetworkSpec& n) {
  if (n.allow.size() > kMaxNetRules || n.unsafe_allow.size() > kMaxNetRules)
    return bad("network.allow", "at most " + std::to_string(kMaxNetRules) + " rules");
  if (n.allow_domains.size() > kMaxDomains)
    return bad("network.allow_domains", "at most " + std::to_string(kMaxDomains) + " domains");
  if (n.publish.size() > kMaxPublish)
    return bad("network.publish", "at most " + std::to_string(kMaxPublish) + " ports");
  for (const auto& d : n.allow_domains) {
    ASSIGN_OR_RETURN(std::string canonical, parse_domain_pattern(d));
    if (canonical != d) return bad("network.allow_domains", "'" + d + "' is not in canonical form");
  }
  for (const auto* rules : {&n.allow, &n.unsafe_allow})
    for (const auto& r : *rules) {
      ASSIGN_OR_RETURN(NetRule again, parse_net_rule(to_string(r)));
      if (!(again == r)) return bad("network.allow", "'" + to_string(r) + "' is not canonical");
    }
  for (const auto& p : n.publish)
    if (p.host_port == 0 || p.port == 0 || p.proto == NetProto::kAny)
      return bad("network.publish", "a published port is HOSTPORT:PORT/tcp or /udp");
  if (n.mode == NetMode::kNone) {
    NetworkSpec plain;
    plain.mode = NetMode::kNone;
    if (!(n == plain))
      return bad("network",
                 "allow rules, domains, limits and published ports go with --net egress");
  }
  return {};
}

}  // namespace cordon::spec
