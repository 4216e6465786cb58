// HTTP/1.1 responses, parsed incrementally from the bytes a server sends (the client's
// side of the API). Bounded: the status line and headers together (and the trailers) at
// most max_head bytes; chunk-size lines validated and at most kMaxChunkLine bytes; sizes
// that would overflow refused. The body is handed out as it is decoded, so a streamed
// body need not be held. No fuzz target yet (one like fuzz/http_request_fuzz.cc is due).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cordon::http {

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  // The first header of that (lowercase) name, or empty.
  std::string header(std::string_view name) const;
};

class ResponseParser {
 public:
  enum class State { kNeedMore, kDone, kError };
  static constexpr size_t kMaxChunkLine = 4096;  // size and extensions
  // Bigger than any body we would accept, small enough that no sum overflows.
  static constexpr uint64_t kMaxBodySize = uint64_t{1} << 56;

  // no_body: the request was HEAD, whose response has headers but never a body.
  explicit ResponseParser(bool no_body = false, size_t max_head = 64 * 1024)
      : no_body_(no_body), max_head_(max_head) {}

  // Feeds bytes; *consumed is how many were used (any rest came after the response).
  // Body bytes decoded from them are appended to *body.
  State feed(std::string_view data, size_t* consumed, std::string* body);
  // The server closed the connection: ends a body that runs until the close; any other
  // response not yet complete is an error.
  State finish();

  State state() const { return state_; }
  bool head_done() const { return phase_ > Phase::kHead; }
  // Status and headers (body stays empty: it goes to feed's *body).
  const ClientResponse& response() const { return resp_; }
  // The server wants the connection closed after this response (or it ends at the close).
  bool must_close() const { return close_; }
  const std::string& error() const { return error_; }

 private:
  enum class Phase {
    kHead,
    kLength,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kUntilClose,
    kDone
  };

  State fail(std::string reason);
  State done();
  State parse_head();
  State parse_chunk_size();

  bool no_body_;
  size_t max_head_;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kHead;
  std::string line_;        // the head, a chunk-size line or the trailers, as they accumulate
  uint64_t remaining_ = 0;  // body or chunk bytes still to come
  bool close_ = false;
  ClientResponse resp_;
  std::string error_;
};

}  // namespace cordon::http
