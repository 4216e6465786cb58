// HTTP/1.1 responses: a whole body with its Content-Length, or a body streamed in chunks
// (Transfer-Encoding: chunked) as a producer makes it. A JSON error body names what was
// wrong, so clients never parse prose.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cordon::http {

// Writes one chunk of a streamed body; false when the client is gone (stop then).
using ChunkWriter = std::function<bool(std::string_view)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
  // When set, body is ignored: the server sends the head, then calls stream on the worker
  // thread; each write is one chunk. Returning ends the body; throwing cuts it off (the
  // client sees no terminating chunk, so it knows the body is incomplete).
  std::function<void(const ChunkWriter&)> stream;
};

const char* reason_phrase(int status);
// The status line, the headers and the body; for a streamed response the head only, with
// Transfer-Encoding: chunked.
std::string serialize(const Response& r, bool keep_alive);
// One chunk of a chunked body ("1a\r\n...\r\n"); empty data gives an empty string, since
// an empty chunk would end the body.
std::string encode_chunk(std::string_view data);
// The last chunk, with no trailers.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";
// {"error": {"status": N, "message": "...", "field": "..."}} (field only when given).
Response error(int status, const std::string& message, const std::string& field = "");

}  // namespace cordon::http
