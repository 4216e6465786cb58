// The launcher's wire format: one request message per connection, one reply.
//
//   request  "CDL1" u32 nargs {u32 len, bytes}... u32 nenv {u32 len, bytes}... u32 len cwd
//            + SCM_RIGHTS: the caller's stdin, stdout and stderr, in that order
//   started  "CDS1" i32 the supervisor's PID, sent once it runs as the caller
//   reply    "CDR1" i32 exit status (as `cordon run` exits)
//
// Integers are little-endian (the launcher and its callers share one host). Requests
// come from local callers the socket's mode admits; they are still parsed as untrusted:
// every count and length is bounded (fuzz/launcher_wire_fuzz.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cordon::launcher {

// Under the default socket send buffer (212,992 bytes), so that a request within the
// limit is never refused by sendmsg itself.
inline constexpr size_t kMaxRequestBytes = 192 * 1024;
inline constexpr size_t kMaxStrings = 4096;  // arguments, and environment entries

struct Request {
  std::vector<std::string> args;  // what follows `cordon run`
  std::vector<std::string> env;   // the caller's environment, NAME=VALUE
  std::string cwd;                // the caller's working directory (absolute)
};

Result<std::string> encode_request(const Request& r);
Result<Request> decode_request(std::string_view bytes);

std::string encode_reply(int32_t status);
Result<int32_t> decode_reply(std::string_view bytes);

// The supervisor's PID, so that a service can end a sandbox it no longer wants (a
// cancelled job) and find it again after its own restart.
std::string encode_started(int32_t pid);
// Whether bytes are a started message; its PID in *pid.
bool decode_started(std::string_view bytes, int32_t* pid);

}  // namespace cordon::launcher
