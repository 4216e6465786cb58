// The daemon's configuration: /etc/cordon/cordon.toml (a missing file means defaults),
// each key overridable by a flag of the same name (--max-running 16 for max_running).
// Unknown keys and bad values are errors that name the key: a typo must not silently
// leave a default in place.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "jobs/model.h"

namespace cordon::daemon {

inline constexpr const char* kDefaultConfig = "/etc/cordon/cordon.toml";

struct Config {
  std::string socket = "/run/cordon/cordon.sock";
  mode_t socket_mode = 0660;
  std::string socket_group;  // group owning the socket; empty: root's
  std::string listen;        // "HOST:PORT" for TCP; empty: none
  std::string tls_cert, tls_key;
  bool plain_tcp = false;  // TCP without TLS: an explicit opt-in (tokens in clear)
  std::string state_dir = "/var/lib/cordon";
  std::string run_dir = "/run/cordon";
  std::string images_dir = "/var/lib/cordon/images";
  std::string image_store = "/var/lib/cordon/store";  // `cordon image`'s store
  std::string cgroup_parent;
  std::string operator_token_file;  // a file holding the operator's token
  uint32_t max_running = 8;
  uint32_t workers = 4;  // HTTP handler threads (the I/O is one more thread)
  // The HTTP server's deadlines (http/server.h): a request's first byte, its head (from
  // its first byte), the whole request (from its first byte), one write.
  uint64_t idle_timeout_ns = 15ull * 1000000000;  // also the key read_timeout (older name)
  uint64_t header_timeout_ns = 10ull * 1000000000;
  uint64_t request_timeout_ns = 30ull * 1000000000;
  uint64_t write_timeout_ns = 10ull * 1000000000;
  uint32_t max_requests_per_connection = 100;
  uint32_t max_connections = 16384;         // open at once, all listeners together
  uint32_t max_connections_per_peer = 256;  // per TCP remote address, per Unix socket UID
  uint32_t max_followers = 4096;            // log followers at once, all tenants
  uint32_t max_followers_per_tenant = 256;
  uint32_t max_terminals = 128;  // WebSocket terminals at once, all callers (a host pty each)
  uint32_t max_terminals_per_tenant = 8;
  uint32_t max_instance_calls = 3;  // tenants' long instance calls at once (below workers)
  uint32_t max_instance_calls_per_tenant = 2;
  uint64_t max_upload = 64ull << 20;
  uint64_t retention_ns = 7ull * 24 * 3600 * 1000000000;
  uint64_t stop_grace_ns = 30ull * 1000000000;
  uint64_t cancel_grace_ns = 2ull * 1000000000;
  uint32_t netns_pool = 8;
  jobs::Quota default_quota;  // the [default_quota] table
};

// Sets one key from text (a flag's value, or a TOML value turned into text).
Status set_key(Config* c, const std::string& key, const std::string& value);
// Reads a TOML file into c; a missing file is not an error when missing_ok.
Status load_file(Config* c, const std::string& path, bool missing_ok);
// The keys, for --help.
std::vector<std::string> keys();
// The effective configuration as TOML-like text (cordon daemon --print-config).
std::string describe(const Config& c);

}  // namespace cordon::daemon
