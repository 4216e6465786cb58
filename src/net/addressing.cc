#include "net/addressing.h"

#include <arpa/inet.h>

#include <cstring>
#include <sstream>

#include "spec/network.h"

namespace cordon::net {

namespace {

Error bad_pool(const std::string& pool, const std::string& why) {
  return logic_error("network pool", pool, why);
}

std::string ntop(int af, const void* bytes) {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(af, bytes, out, sizeof out);
  return out;
}

}  // namespace

Result<SlotAddresses> slot_addresses(const NetConfig& config, size_t index) {
  SlotAddresses a;
  a.index = index;
  a.link = kLinkPrefix + std::to_string(index);
  auto p4 = spec::parse_net_rule(config.pool4);
  if (!p4.ok() || p4->family != 4 || !p4->ports.empty() || p4->proto != spec::NetProto::kAny)
    return bad_pool(config.pool4, "is not an IPv4 block");
  if (p4->prefix < 8 || p4->prefix > 31) return bad_pool(config.pool4, "must be a /8 to a /31");
  const uint64_t slots4 = (uint64_t{1} << (32 - p4->prefix)) / 2;
  auto p6 = spec::parse_net_rule(config.pool6);
  if (!p6.ok() || p6->family != 6 || !p6->ports.empty() || p6->proto != spec::NetProto::kAny)
    return bad_pool(config.pool6, "is not an IPv6 block");
  if (p6->prefix < 32 || p6->prefix > 63) return bad_pool(config.pool6, "must be a /32 to a /63");
  const uint64_t slots6 = uint64_t{1} << std::min(64 - p6->prefix, 32);
  if (index >= slots4 || index >= slots6)
    return logic_error("network address", "slot " + std::to_string(index),
                       "the egress pools have room for " + std::to_string(std::min(slots4, slots6)) +
                           " sandboxes; this slot is beyond them (make the pools larger)");
  in_addr base4{};
  inet_pton(AF_INET, p4->address.c_str(), &base4);
  uint32_t host = ntohl(base4.s_addr) + static_cast<uint32_t>(2 * index);
  uint32_t h = htonl(host), s = htonl(host + 1);
  a.host4 = ntop(AF_INET, &h);
  a.sandbox4 = ntop(AF_INET, &s);
  unsigned char b6[16] = {};
  inet_pton(AF_INET6, p6->address.c_str(), b6);
  // The slot's number goes into bits [prefix, 64) of the address.
  uint64_t hi = 0;
  for (int i = 0; i < 8; ++i) hi = (hi << 8) | b6[i];
  hi |= static_cast<uint64_t>(index);
  for (int i = 7; i >= 0; --i, hi >>= 8) b6[i] = static_cast<unsigned char>(hi & 0xff);
  std::memset(b6 + 8, 0, 8);
  b6[15] = 1;
  a.host6 = ntop(AF_INET6, b6);
  b6[15] = 2;
  a.sandbox6 = ntop(AF_INET6, b6);
  return a;
}

std::optional<size_t> slot_of_link(const std::string& name) {
  const std::string prefix = kLinkPrefix;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0)
    return std::nullopt;
  size_t v = 0;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || i - prefix.size() >= 9) return std::nullopt;
    v = v * 10 + static_cast<size_t>(name[i] - '0');
  }
  if (name.size() > prefix.size() + 1 && name[prefix.size()] == '0') return std::nullopt;
  return v;
}

std::vector<std::string> upstreams_from_resolv_conf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, addr;
    if (!(words >> key >> addr) || key != "nameserver") continue;
    unsigned char b[16];
    if (inet_pton(AF_INET, addr.c_str(), b) == 1) {
      if (b[0] == 127) continue;
    } else if (inet_pton(AF_INET6, addr.c_str(), b) == 1) {
      static const unsigned char loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
      if (std::memcmp(b, loop6, 16) == 0) continue;
    } else {
      continue;  // a scoped or malformed entry
    }
    out.push_back(addr);
  }
  return out;
}

}  // namespace cordon::net
