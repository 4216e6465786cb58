// The HTTP request parser: what it accepts, in any split of the bytes, and what it refuses
// with which status.
#include <gtest/gtest.h>

#include "http/request.h"

namespace cordon::http {
namespace {

// Feeds text in pieces of `step` bytes; returns the parser's end state.
RequestParser::State feed_in_steps(RequestParser& p, const std::string& text, size_t step,
                                   size_t* leftover = nullptr) {
  size_t off = 0;
  RequestParser::State st = RequestParser::State::kNeedMore;
  while (off < text.size() && st == RequestParser::State::kNeedMore) {
    std::string_view piece = std::string_view(text).substr(off, step);
    size_t used = 0;
    st = p.feed(piece, &used);
    off += used;
    if (used < piece.size()) break;
  }
  if (leftover) *leftover = text.size() - off;
  return st;
}

TEST(HttpRequest, ParsesInAnySplit) {
  const std::string text =
      "POST /v1/jobs%2Fx?state=queued&limit=5&q=a+b HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\nContent-Length: 11\r\nX-Empty:\r\n\r\n{\"a\": true}";
  for (size_t step : {1u, 2u, 7u, 64u, 4096u}) {
    RequestParser p;
    ASSERT_EQ(feed_in_steps(p, text, step), RequestParser::State::kDone) << step;
    const Request& r = p.request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/v1/jobs/x");
    EXPECT_EQ(r.query_param("state"), "queued");
    EXPECT_EQ(r.query_param("limit"), "5");
    EXPECT_EQ(r.query_param("q"), "a b");
    EXPECT_EQ(r.query_param("missing"), "");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("x-empty"), "");
    EXPECT_EQ(r.body, "{\"a\": true}");
    EXPECT_TRUE(r.keep_alive);
  }
}

TEST(HttpRequest, LeavesTheNextRequestsBytes) {
  RequestParser p;
  size_t left = 0;
  std::string two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  EXPECT_EQ(feed_in_steps(p, two, 4096, &left), RequestParser::State::kDone);
  EXPECT_EQ(left, 19u);
  EXPECT_EQ(p.request().path, "/a");
  p.reset();
  EXPECT_EQ(feed_in_steps(p, two.substr(two.size() - left), 4096), RequestParser::State::kDone);
  EXPECT_EQ(p.request().path, "/b");
}

int status_of(const std::string& text, Limits limits = {}) {
  RequestParser p(limits);
  auto st = feed_in_steps(p, text, 3);
  if (st == RequestParser::State::kDone) return 0;
  if (st == RequestParser::State::kNeedMore) return -1;
  return p.error_status();
}

TEST(HttpRequest, RefusesWithTheRightStatus) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.0\r\nConnection: close\r\n\r\n"), 0);
  EXPECT_EQ(status_of("GET /\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET  / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("G(T / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET http://x/ HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /%zz HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /%00 HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 411);
  Limits small;
  small.max_body = 10;
  small.max_request_line = 32;
  small.max_header_bytes = 64;
  small.max_headers = 2;
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", small), 413);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", small), 400);
  EXPECT_EQ(status_of("GET /" + std::string(40, 'a') + " HTTP/1.1\r\n\r\n", small), 414);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", small), 431);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nA: " + std::string(100, 'x') + "\r\n\r\n", small), 431);
  // Without its blank line, a head never completes; it stops at the bound.
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n" + std::string(200, 'a'), small), 431);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\n"), -1);
}

TEST(HttpRequest, PercentDecoding) {
  std::string out;
  EXPECT_TRUE(percent_decode("a%20b+c", &out, false));
  EXPECT_EQ(out, "a b+c");
  EXPECT_TRUE(percent_decode("a%20b+c", &out, true));
  EXPECT_EQ(out, "a b c");
  EXPECT_FALSE(percent_decode("%2", &out, false));
  EXPECT_FALSE(percent_decode("%", &out, false));
  EXPECT_FALSE(percent_decode("%g0", &out, false));
  EXPECT_FALSE(percent_decode("%00", &out, false));
}

}  // namespace
}  // namespace cordon::http
