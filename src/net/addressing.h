// Where an egress sandbox sits on the host's network (docs/network.md): its link names and
// addresses, all derived from its ID slot's index, so that a sweep after a crash knows
// from a name alone which slot a leftover belonged to.
//
// IPv4: slot i gets a /31 of the pool (RFC 3021): the host side pool + 2i, the sandbox
// pool + 2i + 1. IPv6: slot i gets the /64 number i of the pool (a /48): the host side
// ::1, the sandbox ::2. The host side is also the address of the sandbox's resolver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::net {

inline constexpr const char* kDefaultPool4 = "10.231.0.0/16";
inline constexpr const char* kDefaultPool6 = "fd63:6f72:646e::/48";
// The host side of slot i's veth pair is kLinkPrefix + i; inside, the peer is eth0.
inline constexpr const char* kLinkPrefix = "cdn-";
inline constexpr const char* kInsideLink = "eth0";

// The operator's settings (the daemon's [network] section, `cordon run` flags).
struct NetConfig {
  std::string pool4 = kDefaultPool4;  // a block of /16 to /30 (at least one slot)
  std::string pool6 = kDefaultPool6;  // a /48 to /64 block... of /48 exactly or longer up to /63
  // What cordon's resolver asks ("IP" or "IP:PORT", "[IPv6]:PORT"); empty: the
  // nameservers of the host's /etc/resolv.conf (see upstreams_from_resolv_conf).
  std::vector<std::string> dns_servers;
};

struct SlotAddresses {
  size_t index = 0;
  std::string link;      // host side: cdn-<index>
  std::string host4;     // "10.231.0.4"
  std::string sandbox4;  // "10.231.0.5"
  uint8_t prefix4 = 31;
  std::string host6;     // "fd63:6f72:646e:2::1"
  std::string sandbox6;  // "fd63:6f72:646e:2::2"
  uint8_t prefix6 = 64;
};

// The addresses of slot `index` in the pools; an error when the pools are malformed or
// too small for that index.
Result<SlotAddresses> slot_addresses(const NetConfig& config, size_t index);

// The slot index a host-side link name stands for (cdn-12 -> 12); nullopt for any other name.
std::optional<size_t> slot_of_link(const std::string& name);

// The nameservers of a resolv.conf text, loopback ones left out (a stub like
// systemd-resolved's 127.0.0.53 is not reachable from the host side of a veth... and
// is the host's own): "IP" each, in order.
std::vector<std::string> upstreams_from_resolv_conf(const std::string& text);

}  // namespace cordon::net
