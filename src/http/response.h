// HTTP/1.1 responses: a whole body with its Content-Length, or a body streamed in chunks
// (Transfer-Encoding: chunked) as a producer makes it. A JSON error body names what was
// wrong, so clients never parse prose.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cordon::http {

// A streamed body, pulled by the server: each call appends to *out what is ready now
// (possibly nothing; at most a few tens of KiB) and says whether more may come. Calls run
// on a handler thread, one at a time for a response; the server calls again at once after
// bytes, or after its poll interval (~250 ms) after none, so that a stream waiting for
// data (a log follower) holds no thread, only a timer and its socket.
enum class Pull {
  kMore,  // call again
  kEnd,   // *out is the body's last piece
  kCut,   // failed: the body is cut off without its last chunk (the client can tell)
};
using Producer = std::function<Pull(std::string* out)>;

// A WebSocket (RFC 6455) bridged to a stream fd (a terminal's master): the server answers
// the client's upgrade, then sends what the fd gives as binary messages and writes the
// client's binary messages to it. Text messages go to on_text (on the I/O thread: keep it
// short, e.g. an ioctl). When the fd ends (EOF, or EIO once a terminal's last slave is
// closed), or the client goes (client_gone), on_end runs on the handler pool and its
// answer, unless empty, is the last text message before the close.
struct WebSocketBridge {
  int fd = -1;  // owned by the bridge from the handler's return on (closed at the end)
  std::function<void(const std::string& text)> on_text;
  std::function<std::string(bool client_gone)> on_end;
  size_t max_message = 64 << 10;  // a larger message of the client ends the connection
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
  // When set, body is ignored: the server sends the head with Transfer-Encoding: chunked,
  // then each piece pulled as one chunk. Throwing is kCut.
  Producer pull;
  // When set and the request asked to upgrade to a WebSocket: the response is the
  // handshake's 101 and the connection becomes the bridge (status and body unused).
  // Without the upgrade in the request: 426.
  std::shared_ptr<WebSocketBridge> websocket;
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
