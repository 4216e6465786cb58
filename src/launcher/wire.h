// The launcher's wire format: one request per connection, typed, and its typed reply.
//
//   request  "CDL2" u32 total  {"spec": SPEC, "term": "...", "lang": "..."}
//            + SCM_RIGHTS on the first message: the sandbox's stdin, stdout and stderr
//   started  "CDS1" i32 the supervisor's PID (+ a pidfd of it), once it runs the request
//   reply    "CDR2" u32 total  i32 exit status (as `cordon run` exits)  RESULT
//
// SPEC is the sandbox spec's one JSON form (spec/spec_json.h) and RESULT the run's result
// document (engine/result_json.h; empty when no sandbox was tried). "total" counts every
// byte of the message from the magic on; a message longer than one socket packet goes as
// several packets of at most kPieceBytes (send_message / recv_message). Integers are
// little-endian (the launcher and its callers share one host). Requests come from local
// callers the socket's mode admits; they are still parsed as untrusted: sizes are
// bounded and the spec is validated (fuzz/launcher_wire_fuzz.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "spec/spec.h"

namespace cordon::launcher {

// One packet: under the default socket send buffer (212,992 bytes), so that sendmsg never
// refuses a piece.
inline constexpr size_t kPieceBytes = 64 * 1024;
inline constexpr size_t kMaxRequestBytes = 2u << 20;  // a spec's JSON, at most ~1.3 MiB
inline constexpr size_t kMaxReplyBytes = 4u << 20;    // a result holds its spec and more

struct Request {
  spec::SandboxSpec spec;
  std::string term;  // the caller's TERM and LANG, passed into the sandbox when set
  std::string lang;
};

struct Reply {
  int32_t status = 0;
  std::string result_json;  // empty: no result (the request was refused before a start)
};

Result<std::string> encode_request(const Request& r);
Result<Request> decode_request(std::string_view bytes);

std::string encode_reply(const Reply& r);
Result<Reply> decode_reply(std::string_view bytes);

// The supervisor's PID, so that a service can end a sandbox it no longer wants (a
// cancelled job) and find it again after its own restart.
std::string encode_started(int32_t pid);
// Whether bytes are a started message; its PID in *pid.
bool decode_started(std::string_view bytes, int32_t* pid);

// A whole message (as encoded above) over a SOCK_SEQPACKET socket, with fds on its first
// packet.
Status send_message(int sock, std::string_view bytes, const std::vector<int>& fds = {});
// One whole message, at most max bytes; its first packet's fds in *fds. An empty string:
// the peer hung up before sending anything. A started message is returned as it is.
Result<std::string> recv_message(int sock, size_t max, std::vector<UniqueFd>* fds = nullptr);

}  // namespace cordon::launcher
