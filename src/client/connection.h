// Where the daemon is and who we are to it, and the requests sent there. The daemon is
// found from --url or --socket, else CORDON_URL, else its default socket; the token from
// --token-file, else CORDON_TOKEN, else ~/.config/cordon/token. No token at all is fine on
// the Unix socket as root: the daemon takes that caller for the operator.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "client/args.h"
#include "client/transport.h"

namespace cordon::client {

inline constexpr const char* kDefaultSocket = "/run/cordon/cordon.sock";

// The environment, passed in so that resolution is testable without setenv.
using Getenv = std::function<const char*(const char*)>;

struct Target {
  Endpoint endpoint;
  std::string where;  // as the user named it, for messages
  std::string token;  // empty: none sent
};

// A bad --url or an unreadable --token-file is an error (a usage error: exit 64).
Result<Target> resolve_target(const ParsedArgs& args, const Getenv& getenv);

// A response, whatever its status; transport failures are errors instead.
struct Reply {
  int status = 0;
  std::string body;
  nlohmann::json json;  // the body parsed, or discarded when it is not JSON
  bool ok() const { return status >= 200 && status < 300; }
};

class Connection {
 public:
  explicit Connection(Target target) : target_(std::move(target)) {}

  const Target& target() const { return target_; }

  // One request, its body collected (up to max_body). An error means the daemon could not
  // be reached or the exchange broke off (exit 69); a refusal is a Reply with its status.
  Result<Reply> call(const std::string& method, const std::string& path,
                     const std::string& body = "",
                     const std::string& content_type = "application/json",
                     size_t max_body = 64u << 20);

  // A GET whose body is passed on as it arrives, on a connection of its own whose reads may
  // wait long: a followed log is quiet while the job is. on_chunk false stops it. The
  // Reply's body is empty, but for a refusal's (not passed to on_chunk).
  Result<Reply> stream(const std::string& path,
                       const std::function<bool(std::string_view)>& on_chunk);

 private:
  Headers headers(const std::string& content_type) const;
  Error unreachable(Error e) const;

  Target target_;
  std::optional<Transport> transport_;  // made at the first call, its connection kept alive
};

// Percent-encodes a path segment or query value (keep_slash: a file path's '/' stays).
std::string escape(std::string_view s, bool keep_slash = false);

}  // namespace cordon::client
