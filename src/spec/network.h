// The network a sandbox asks for (docs/network.md): none by default (a private network
// namespace with loopback only), or egress by policy. Plain validated values; the net
// library (src/net/) turns them into links, addresses, routes, tc and nftables rules.
//
// One text syntax for rules everywhere (the CLI, the JSON spec, the daemon's tenant
// policies), parsed here and nowhere else:
//   allow   CIDR[:PORTS][/PROTO]   203.0.113.0/24, 198.51.100.7:80,443/tcp, [2001:db8::/32]:53/udp
//           PORTS: a port or a range (8000-8080), comma-separated; PROTO: tcp or udp
//           (both when absent; any protocol when PORTS are absent too)
//   domain  NAME or *.NAME         pypi.org (that name only), *.pythonhosted.org (names under it)
//   publish HOSTPORT:PORT[/PROTO]  8080:80, 5353:53/udp (tcp when absent)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cordon::spec {

enum class NetMode { kNone, kEgress };
const char* to_string(NetMode m);
Result<NetMode> parse_net_mode(std::string_view word);

enum class NetProto { kAny, kTcp, kUdp };
const char* to_string(NetProto p);

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  bool operator==(const PortRange&) const = default;
};

// A destination: an address block, optionally only some ports of one or both protocols.
struct NetRule {
  int family = 4;                // 4 or 6
  std::string address;           // the block's first address, canonical (inet_ntop)
  uint8_t prefix = 0;            // its length: 0-32 or 0-128
  std::vector<PortRange> ports;  // empty: every port (and with kAny, every protocol)
  NetProto proto = NetProto::kAny;
  bool operator==(const NetRule&) const = default;
  std::string cidr() const;  // "address/prefix"
};
Result<NetRule> parse_net_rule(std::string_view text);
std::string to_string(const NetRule& r);  // the canonical text, parse_net_rule's input

// An inbound port of an instance: HOSTPORT on the host's addresses to PORT inside.
struct PublishRule {
  uint16_t host_port = 0;
  uint16_t port = 0;
  NetProto proto = NetProto::kTcp;  // tcp or udp
  bool operator==(const PublishRule&) const = default;
};
Result<PublishRule> parse_publish_rule(std::string_view text);
std::string to_string(const PublishRule& r);

// A domain of --allow-domain, lower-case, without a trailing dot; "*.NAME" for the
// names under NAME (not NAME itself).
Result<std::string> parse_domain_pattern(std::string_view text);
// Whether a query name (any case, a trailing dot or none) is matched by a pattern.
bool domain_matches(std::string_view pattern, std::string_view name);

inline constexpr size_t kMaxNetRules = 256;
inline constexpr size_t kMaxDomains = 256;
inline constexpr size_t kMaxPublish = 64;
inline constexpr size_t kMaxDomainLength = 253;
// Defaults for an egress sandbox: enough for a build or a test suite, too little to flood.
inline constexpr uint32_t kDefaultConnRate = 100;  // new connections per second (burst 2x)
inline constexpr uint32_t kDefaultMaxConns = 512;  // connections tracked at once

struct NetworkSpec {
  NetMode mode = NetMode::kNone;
  // Destinations allowed. With no allow rule and no domain, egress is the public internet:
  // every address but the always-denied ranges (net/reserved.h).
  std::vector<NetRule> allow;
  std::vector<std::string> allow_domains;  // patterns, see parse_domain_pattern
  // Destinations inside the always-denied ranges (the host's private network, say) that
  // the operator lets this sandbox reach: an explicit opt-in, recorded in the result.
  // Never the host itself, loopback or another sandbox.
  std::vector<NetRule> unsafe_allow;
  uint64_t egress_bps = 0;                // bytes per second out of the sandbox; 0: no limit
  uint64_t ingress_bps = 0;               // into it; 0: no limit
  uint32_t conn_rate = kDefaultConnRate;  // new connections per second; 0: no limit
  uint32_t max_conns = kDefaultMaxConns;  // concurrent connections; 0: no limit
  std::vector<PublishRule> publish;       // inbound (instances)
  bool operator==(const NetworkSpec&) const = default;
};

// Shape and sizes; mode none with any other field set is refused (it would be ignored).
Status validate_network(const NetworkSpec& n);

}  // namespace cordon::spec
