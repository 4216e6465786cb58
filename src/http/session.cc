// One connection of the server (server.h): its requests, one after the other, read with
// Beast's parser under deadlines, admitted from their head, handled on the pool, answered
// whole or streamed. Runs on the I/O thread as a coroutine; blocking calls (admission,
// handler, a stream's producer) go to the handler pool and come back.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <algorithm>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>

#include "http/grammar.h"
#include "http/server_impl.h"
#include "sys/fd.h"

namespace cordon::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;

Clock::time_point after_ms(Clock::time_point t, int ms) {
  return t + std::chrono::milliseconds(ms);
}

// A Beast parse error as the status to answer.
int status_of(const error_code& ec) {
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  return 400;
}

enum class Next { kKeep, kClose };

// Refuses the request (Session::refuse) and ends serve_one. What co_await takes is kept
// free of temporaries: g++ 12 miscompiles (or crashes on) temporaries that live across
// a suspension.
#define CORDON_REFUSE(...)                     \
  do {                                         \
    set_refusal(__VA_ARGS__);                  \
    Next refused_ = co_await refuse_pending(); \
    co_return refused_;                        \
  } while (0)

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Server::Impl* impl, Stream stream, std::string peer_key, Peer peer)
      : impl_(impl),
        opt_(impl->options),
        stream_(std::move(stream)),
        timer_(impl->io),
        poll_timer_(impl->io),
        peer_key_(std::move(peer_key)),
        peer_(std::move(peer)),
        id_(impl->next_id++) {}

  ~Session() {
    impl_->closers.erase(id_);
    impl_->give_slot(peer_key_);
  }

  void start() {
    std::weak_ptr<Session> weak = this->shared_from_this();
    impl_->closers[id_] = [weak] {
      if (auto s = weak.lock()) s->shut();
    };
    auto self = this->shared_from_this();
    asio::co_spawn(
        impl_->io,
        [self]() -> awaitable<void> {
          try {
            co_await self->run();
          } catch (...) {
          }
          self->shut();
        },
        asio::detached);
  }

 private:
  auto& lowest() { return beast::get_lowest_layer(stream_); }

  // Closes the socket: every pending read and write ends with an error.
  void shut() {
    ++gen_;
    timer_.cancel();
    poll_timer_.cancel();
    error_code ec;
    lowest().close(ec);
  }

  // The watchdog: at `at`, the socket's pending operations are cancelled and expired_
  // says why. One timer per connection, set per phase, never pushed back by a byte.
  void arm(Clock::time_point at) {
    uint64_t g = ++gen_;
    expired_ = false;
    timer_.expires_at(at);
    timer_.async_wait([self = this->shared_from_this(), g](error_code ec) {
      if (ec || g != self->gen_) return;
      self->expired_ = true;
      error_code ignored;
      self->lowest().cancel(ignored);
    });
  }
  void disarm() {
    ++gen_;
    timer_.cancel();
  }

  // fn() on the handler pool; its result back on the I/O thread.
  template <class F>
  awaitable<decltype(std::declval<F>()())> on_pool(F fn) {
    using R = decltype(fn());
    auto task = [fn = std::move(fn)]() mutable -> awaitable<R> { co_return fn(); };
    R r = co_await asio::co_spawn(impl_->pool->get_executor(), std::move(task), use_awaitable);
    co_return r;
  }

  awaitable<size_t> read_more(error_code& ec) {
    auto space = buf_.prepare(16384);
    size_t n = co_await stream_.async_read_some(space, asio::redirect_error(use_awaitable, ec));
    buf_.commit(n);
    if (!ec && expired_) ec = asio::error::timed_out;
    co_return n;
  }

  // Every byte of data, within write_timeout; false when the client is gone or too slow.
  awaitable<bool> write(std::string_view data) {
    arm(after_ms(Clock::now(), opt_.write_timeout_ms));
    error_code ec;
    auto b = asio::buffer(data.data(), data.size());
    co_await asio::async_write(stream_, b, asio::redirect_error(use_awaitable, ec));
    disarm();
    co_return !ec && !expired_;
  }

  // A refusal, then the end of the connection: what the client still sends is read and
  // dropped for a moment (at most 1 s, 8 MiB), since closing with unread bytes resets
  // the connection, and the reset can destroy the answer before the client reads it.
  void set_refusal(int status, std::string reason, bool drain = true) {
    fail_text_ = serialize(error(status, reason), false);
    fail_drain_ = drain;
  }
  awaitable<Next> refuse_pending() {
    bool ok = co_await write(fail_text_);
    if (!ok || !fail_drain_) co_return Next::kClose;
    Next r = co_await linger();
    co_return r;
  }
  awaitable<Next> linger() {
    error_code ec;
    lowest().shutdown(asio::socket_base::shutdown_send, ec);
    arm(after_ms(Clock::now(), 1000));
    char scratch[16384];
    for (size_t taken = 0; taken < (8u << 20);) {
      auto space = asio::buffer(scratch);
      size_t n = co_await lowest().async_read_some(space, asio::redirect_error(use_awaitable, ec));
      if (ec || expired_) break;
      taken += n;
    }
    co_return Next::kClose;
  }

  // The peer hung up or shut down its side; does not wait.
  bool peer_gone() {
    struct pollfd p = {lowest().native_handle(), POLLRDHUP, 0};
    if (!sys::poll_fds(&p, 1, 0).ok()) return false;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
  }

  awaitable<void> run();
  awaitable<void> bridge(bhttp::request<bhttp::string_body>& msg,
                         std::shared_ptr<WebSocketBridge> b);
  awaitable<bool> handshake();
  awaitable<Next> serve_one(bool first);
  awaitable<Next> send(Response& resp, bool keep);

  Server::Impl* impl_;
  const ServerOptions& opt_;
  Stream stream_;
  asio::steady_timer timer_, poll_timer_;
  std::string peer_key_;
  Peer peer_;
  uint64_t id_;
  uint64_t gen_ = 0;
  bool expired_ = false;
  beast::flat_buffer buf_;  // bytes read and not yet parsed (a pipelined next request)
  Clock::time_point start_ = Clock::now();
  std::string fail_text_;  // a refusal to send (set_refusal)
  bool fail_drain_ = true;
};

// The WebSocket bridge (response.h): fd to binary messages, binary messages to fd, text
// to on_text; at the fd's end (or the client's), on_end's last word, then the close.
template <class Stream>
awaitable<void> Session<Stream>::bridge(bhttp::request<bhttp::string_body>& msg,
                                        std::shared_ptr<WebSocketBridge> b) {
  disarm();
  auto term = std::make_shared<asio::posix::stream_descriptor>(impl_->io, b->fd);
  b->fd = -1;
  auto ws = std::make_shared<beast::websocket::stream<Stream&>>(stream_);
  ws->read_message_max(b->max_message);
  error_code ec;
  arm(after_ms(Clock::now(), opt_.write_timeout_ms));
  co_await ws->async_accept(msg, asio::redirect_error(use_awaitable, ec));
  disarm();
  auto client_gone = std::make_shared<bool>(false);
  if (!ec && !expired_) {
    // The client's side: its messages until it closes or goes.
    auto self = this->shared_from_this();
    asio::co_spawn(
        impl_->io,
        [self, ws, term, b, client_gone]() -> awaitable<void> {
          beast::flat_buffer in;
          for (;;) {
            error_code rec;
            co_await ws->async_read(in, asio::redirect_error(use_awaitable, rec));
            if (rec) break;
            std::string data = beast::buffers_to_string(in.data());
            in.consume(in.size());
            if (ws->got_text()) {
              if (b->on_text) b->on_text(data);
              continue;
            }
            co_await asio::async_write(*term, asio::buffer(data),
                                       asio::redirect_error(use_awaitable, rec));
            if (rec) break;
          }
          // Gone (or closed): the terminal's side ends too.
          *client_gone = true;
          error_code ignored;
          term->close(ignored);
        },
        asio::detached);
    // The terminal's side: its bytes until it ends.
    char buf[16384];
    for (;;) {
      size_t n = co_await term->async_read_some(asio::buffer(buf),
                                                asio::redirect_error(use_awaitable, ec));
      if (ec || impl_->stopping) break;
      ws->binary(true);
      co_await ws->async_write(asio::buffer(buf, n), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        *client_gone = true;
        break;
      }
    }
  } else {
    *client_gone = true;
  }
  error_code ignored;
  term->close(ignored);
  std::string last;
  if (b->on_end) {
    bool gone = *client_gone || impl_->stopping;  // a stopping server ends the command too
    auto end = [b, gone]() -> std::string { return b->on_end(gone); };
    last = co_await on_pool(std::move(end));
  }
  if (!*client_gone && !impl_->stopping) {
    arm(after_ms(Clock::now(), opt_.write_timeout_ms));
    if (!last.empty()) {
      ws->text(true);
      co_await ws->async_write(asio::buffer(last), asio::redirect_error(use_awaitable, ec));
    }
    if (!ec && !expired_)
      co_await ws->async_close(beast::websocket::close_code::normal,
                               asio::redirect_error(use_awaitable, ec));
    disarm();
  }
}

template <class Stream>
awaitable<bool> Session<Stream>::handshake() {
  if constexpr (std::is_same_v<Stream, asio::ssl::stream<Tcp::socket>>) {
    // Bounded like a head: a client that stalls the handshake is cut off.
    arm(after_ms(start_, opt_.header_timeout_ms));
    error_code ec;
    co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(use_awaitable, ec));
    disarm();
    if (!ec && !expired_) co_return true;
    // A plain-HTTP client is told why, in its own protocol.
    if (ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST) {
      std::string text = serialize(error(400, "this port speaks TLS: use https"), false);
      arm(after_ms(Clock::now(), opt_.write_timeout_ms));
      auto b = asio::buffer(text);
      co_await asio::async_write(lowest(), b, asio::redirect_error(use_awaitable, ec));
      lowest().shutdown(asio::socket_base::shutdown_send, ec);
    }
    co_return false;
  } else {
    co_return true;
  }
}

template <class Stream>
awaitable<void> Session<Stream>::run() {
  bool ok = co_await handshake();
  if (!ok) co_return;
  for (int n = 0; n < opt_.max_requests_per_connection && !impl_->stopping; ++n) {
    bool last = n + 1 >= opt_.max_requests_per_connection;
    Next next = co_await serve_one(last);
    if (next == Next::kClose) co_return;
    start_ = Clock::now();
  }
}

// Reads, admits, handles and answers one request. `last`: the connection's last one.
template <class Stream>
awaitable<Next> Session<Stream>::serve_one(bool last) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(
      static_cast<uint32_t>(opt_.limits.max_request_line + opt_.limits.max_header_bytes + 4));
  parser.body_limit(opt_.limits.max_body);
  parser.eager(false);  // stop after the head: the body waits for the admission
  HeadScan scan(opt_.limits);
  bool begun = buf_.size() > 0;
  Clock::time_point first_byte = Clock::now();
  arm(begun ? after_ms(first_byte, opt_.header_timeout_ms)
            : after_ms(start_, opt_.idle_timeout_ms));
  error_code ec;
  // --- the head ---
  for (;;) {
    if (buf_.size() > 0) {
      auto data = buf_.cdata();
      std::string_view bytes(static_cast<const char*>(data.data()), data.size());
      auto st = scan.scan(bytes);
      if (st == HeadScan::State::kError) CORDON_REFUSE(scan.error_status(), scan.error_reason());
      if (st == HeadScan::State::kDone) {
        size_t used = parser.put(asio::buffer(data.data(), scan.head_size()), ec);
        if (ec == bhttp::error::bad_version)
          CORDON_REFUSE(version_status(bytes), "HTTP version not supported");
        buf_.consume(used);
        if (ec) CORDON_REFUSE(status_of(ec), "malformed request: " + ec.message());
        if (!parser.is_header_done()) CORDON_REFUSE(400, "malformed request head");
        break;
      }
    }
    co_await read_more(ec);
    if (ec) {
      disarm();
      if (expired_ && begun) CORDON_REFUSE(408, "the request took too long to arrive", false);
      co_return Next::kClose;  // closed, or idle past idle_timeout: nothing to say
    }
    if (!begun) {
      begun = true;
      first_byte = Clock::now();
      arm(after_ms(first_byte, opt_.header_timeout_ms));
    }
  }
  disarm();
  auto& msg = parser.get();
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.keep_alive = msg.keep_alive();
  if (msg.version() != 11 && msg.version() != 10) CORDON_REFUSE(505, "HTTP version not supported");
  std::string reason;
  int bad = split_target(req.target, &req.path, &req.query, &reason);
  if (bad != 0) CORDON_REFUSE(bad, reason);
  for (const auto& f : msg) {
    if (req.headers.size() >= opt_.limits.max_headers) CORDON_REFUSE(431, "too many headers");
    req.headers.emplace_back(
        lower(std::string_view(f.name_string().data(), f.name_string().size())),
        std::string(f.value()));
  }
  bad = check_fields(req.headers, &reason);
  if (bad != 0) CORDON_REFUSE(bad, reason);
  uint64_t length = parser.content_length().value_or(0);
  // --- admission, before any byte of the body ---
  Admission adm;
  if (opt_.admit) {
    auto admit = [this, &req]() -> Admission {
      try {
        return opt_.admit(req, peer_);
      } catch (...) {
        return Admission{error(500, "internal error"), 0};
      }
    };
    adm = co_await on_pool(std::move(admit));
  } else {
    adm.body_limit = opt_.limits.max_body;
  }
  if (impl_->stopping) co_return Next::kClose;
  // Too large for this caller and route comes first (as the body limit always did): then
  // whatever else the admission refused.
  if (length > std::min<uint64_t>(adm.body_limit, opt_.limits.max_body))
    CORDON_REFUSE(413, "body too large");
  if (adm.refusal) {
    // Without a body to skip the connection goes on; with one it ends (never read).
    bool keep = length == 0 && req.keep_alive && !last;
    std::string text = serialize(*adm.refusal, keep);
    bool ok = co_await write(text);
    if (!ok) co_return Next::kClose;
    impl_->served.fetch_add(1, std::memory_order_relaxed);
    if (keep) co_return Next::kKeep;
    {
      Next r = co_await linger();
      co_return r;
    }
  }
  // --- the body ---
  if (length > 0) {
    if (req.header("expect") == "100-continue") {
      std::string_view text = "HTTP/1.1 100 Continue\r\n\r\n";
      bool ok = co_await write(text);
      if (!ok) co_return Next::kClose;
    }
    parser.body_limit(std::min<uint64_t>(adm.body_limit, opt_.limits.max_body));
    parser.eager(true);
    arm(after_ms(first_byte, opt_.request_deadline_ms));
    while (!parser.is_done()) {
      if (buf_.size() > 0) {
        size_t used = parser.put(buf_.cdata(), ec);
        buf_.consume(used);
        if (ec && ec != bhttp::error::need_more)
          CORDON_REFUSE(status_of(ec), "malformed body: " + ec.message());
        if (parser.is_done()) break;
      }
      co_await read_more(ec);
      if (ec) {
        disarm();
        if (expired_) CORDON_REFUSE(408, "the request took too long to arrive", false);
        co_return Next::kClose;
      }
    }
    disarm();
    req.body = std::move(msg.body());
  }
  // --- the handler ---
  auto handle = [this, &req]() -> Response {
    try {
      return impl_->handler(req, peer_);
    } catch (...) {
      return error(500, "internal error");
    }
  };
  Response resp = co_await on_pool(std::move(handle));
  if (resp.websocket) {
    std::shared_ptr<WebSocketBridge> b = std::move(resp.websocket);
    if (!beast::websocket::is_upgrade(msg)) {
      if (b->fd >= 0) sys::close_fd(b->fd);
      b->fd = -1;
      if (b->on_end) {
        auto end = [b]() -> int {
          (void)b->on_end(true);
          return 0;
        };
        (void)co_await on_pool(std::move(end));
      }
      CORDON_REFUSE(426, "a WebSocket route: upgrade (Connection: Upgrade, Upgrade: websocket)");
    }
    impl_->served.fetch_add(1, std::memory_order_relaxed);
    co_await bridge(msg, std::move(b));
    co_return Next::kClose;
  }
  if (impl_->stopping) co_return Next::kClose;
  bool keep = req.keep_alive && !last;
  Next next = Next::kClose;
  next = co_await send(resp, keep);
  resp = Response();  // its body freed before the count says it was answered
  impl_->served.fetch_add(1, std::memory_order_relaxed);
  co_return keep ? next : Next::kClose;
}

template <class Stream>
awaitable<Next> Session<Stream>::send(Response& resp, bool keep) {
  if (resp.status == 204) resp.pull = nullptr;  // a 204 has no body to stream
  std::string head = serialize(resp, keep);
  bool ok = co_await write(head);
  if (!ok) co_return Next::kClose;
  if (!resp.pull) co_return Next::kKeep;
  // Pulled: a piece at a time on the pool; after an empty one, the next pull waits for
  // the poll timer. Between pulls the connection holds no thread.
  auto producer = std::make_shared<Producer>(std::move(resp.pull));
  for (;;) {
    auto pull = [producer]() -> std::pair<Pull, std::string> {
      std::string out;
      try {
        Pull p = (*producer)(&out);
        return {p, std::move(out)};
      } catch (...) {
        return {Pull::kCut, std::string()};
      }
    };
    std::pair<Pull, std::string> got = co_await on_pool(std::move(pull));
    Pull more = got.first;
    std::string piece = std::move(got.second);
    if (impl_->stopping) co_return Next::kClose;
    if (!piece.empty()) {
      std::string chunk = encode_chunk(piece);
      bool wrote = co_await write(chunk);
      if (!wrote) co_return Next::kClose;
    }
    if (more == Pull::kCut) co_return Next::kClose;  // no last chunk: the client can tell
    if (more == Pull::kEnd) break;
    if (piece.empty()) {
      if (peer_gone()) co_return Next::kClose;  // a follower gone while the log is quiet
      poll_timer_.expires_after(std::chrono::milliseconds(opt_.stream_poll_ms));
      error_code ec;
      co_await poll_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
      if (ec || impl_->stopping) co_return Next::kClose;
    }
  }
  std::string_view last = kLastChunk;
  ok = co_await write(last);
  co_return ok ? Next::kKeep : Next::kClose;
}

template <class Stream>
void spawn(Server::Impl* impl, Stream stream, std::string key, Peer peer) {
  std::make_shared<Session<Stream>>(impl, std::move(stream), std::move(key), std::move(peer))
      ->start();
}

}  // namespace

void serve_tcp(Server::Impl* impl, Tcp::socket s, std::string peer_key, Peer peer) {
  spawn(impl, std::move(s), std::move(peer_key), std::move(peer));
}

void serve_tls(Server::Impl* impl, Tcp::socket s, std::shared_ptr<asio::ssl::context> tls,
               std::string peer_key, Peer peer) {
  // The context outlives the stream: the SSL object holds a reference on it.
  spawn(impl, asio::ssl::stream<Tcp::socket>(std::move(s), *tls), std::move(peer_key),
        std::move(peer));
}

void serve_unix(Server::Impl* impl, Local::socket s, std::string peer_key, Peer peer) {
  spawn(impl, std::move(s), std::move(peer_key), std::move(peer));
}

}  // namespace cordon::http
