// The client's side of HTTP: the response parser (in any split of the bytes, and what it
// refuses), endpoints as users write them, and the chunked encoding the server writes.
#include <gtest/gtest.h>

#include <string>

#include "http/client.h"
#include "http/response.h"
#include "http/response_parser.h"

namespace cordon::http {
namespace {

using State = ResponseParser::State;

struct Parsed {
  State state = State::kNeedMore;
  std::string body;
  size_t leftover = 0;  // bytes not consumed
};

// Feeds text in the given pieces (cut at the offsets in cuts), then finish() if asked.
Parsed feed_cut(ResponseParser& p, const std::string& text, const std::vector<size_t>& cuts,
                bool finish = false) {
  Parsed out;
  size_t off = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(text.size());
  for (size_t end : ends) {
    while (off < end && out.state == State::kNeedMore) {
      size_t used = 0;
      out.state = p.feed(std::string_view(text).substr(off, end - off), &used, &out.body);
      off += used;
      if (out.state == State::kNeedMore) {
        EXPECT_EQ(off, end) << "a parser that needs more uses all";
      }
    }
  }
  if (finish && out.state == State::kNeedMore) out.state = p.finish();
  out.leftover = text.size() - off;
  return out;
}

Parsed parse(const std::string& text, bool finish = false) {
  ResponseParser p;
  return feed_cut(p, text, {}, finish);
}

TEST(HttpResponseParser, ContentLengthInEverySplit) {
  const std::string text =
      "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-Mixed-Case:  v a \r\n"
      "Content-Length: 5\r\n\r\nhelloNEXT";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    ResponseParser p;
    Parsed r = feed_cut(p, text, {cut});
    ASSERT_EQ(r.state, State::kDone) << "cut at " << cut << ": " << p.error();
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.leftover, 4u) << "the next response's bytes are left alone";
    EXPECT_EQ(p.response().status, 201);
    EXPECT_EQ(p.response().header("x-mixed-case"), "v a");
    EXPECT_EQ(p.response().header("content-type"), "text/plain");
    EXPECT_FALSE(p.must_close());
  }
}

TEST(HttpResponseParser, ChunkedWithExtensionsAndTrailersInEverySplit) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=\"quoted value\"\r\nhello\r\n"
      "6 ; x\r\n world\r\n"
      "A\r\n0123456789\r\n"
      "0\r\nX-Trailer: t\r\n\r\nNEXT";
  for (size_t a = 0; a <= text.size(); ++a) {
    ResponseParser p;
    Parsed r = feed_cut(p, text, {a});
    ASSERT_EQ(r.state, State::kDone) << "cut at " << a << ": " << p.error();
    EXPECT_EQ(r.body, "hello world0123456789");
    EXPECT_EQ(r.leftover, 4u);
  }
  // Byte by byte as well: every state sees its input one byte at a time.
  std::vector<size_t> every;
  for (size_t i = 1; i < text.size(); ++i) every.push_back(i);
  ResponseParser p;
  Parsed r = feed_cut(p, text, every);
  ASSERT_EQ(r.state, State::kDone) << p.error();
  EXPECT_EQ(r.body, "hello world0123456789");
}

TEST(HttpResponseParser, ChunkedWithoutTrailers) {
  Parsed r =
      parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.body, "abc");
  EXPECT_EQ(r.leftover, 0u);
}

TEST(HttpResponseParser, RefusesBadChunkSizes) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::string bad : {
           "zz\r\n",                        // not hex
           "\r\n",                          // empty
           "-1\r\n",                        // signed
           "0x5\r\nhello\r\n",              // a C prefix
           "5 x\r\nhello\r\n",              // junk after the size
           "5\nhello\r\n",                  // bare LF
           "5\r\nhelloXX0\r\n\r\n",         // data not followed by CRLF
           "5;a=\x01\r\nhello\r\n",         // a control character in an extension
           "1000000000000000\r\n",          // 2^60: beyond any body
           "FFFFFFFFFFFFFFFFFFFFFFFF\r\n",  // would overflow 64 bits
       }) {
    Parsed r = parse(head + bad + "0\r\n\r\n");
    EXPECT_EQ(r.state, State::kError) << bad;
  }
  // A chunk-size line longer than the bound (extensions without end).
  Parsed r = parse(head + "5;" + std::string(ResponseParser::kMaxChunkLine, 'x'));
  EXPECT_EQ(r.state, State::kError);
}

TEST(HttpResponseParser, RefusesOversizeHeads) {
  // The bound holds without the blank line ever coming.
  std::string endless = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70 * 1024, 'a');
  ResponseParser p;
  Parsed r = feed_cut(p, endless, {100, 1000, 40000});
  EXPECT_EQ(r.state, State::kError);
  EXPECT_NE(p.error().find("too large"), std::string::npos) << p.error();

  // Exactly at the bound is fine; one byte more is not.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ResponseParser exact(false, head.size());
  EXPECT_EQ(feed_cut(exact, head, {}).state, State::kDone);
  ResponseParser over(false, head.size() - 1);
  EXPECT_EQ(feed_cut(over, head, {}).state, State::kError);

  // Trailers count too.
  std::string trailers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " +
                         std::string(70 * 1024, 'b') + "\r\n\r\n";
  EXPECT_EQ(parse(trailers).state, State::kError);
}

TEST(HttpResponseParser, RefusesBadHeads) {
  for (std::string bad : {
           "HTTP/2 200 OK\r\n\r\n",
           "HTTP/1.1 20 OK\r\n\r\n",
           "HTTP/1.1 2000 OK\r\n\r\n",
           "HTTP/1.1 099 Low\r\n\r\n",
           "HTTP/1.1 200OK\r\n\r\n",
           "ICY 200 OK\r\n\r\n",
           "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
           "HTTP/1.1 200 OK\r\nBad name: x\r\n\r\n",
           "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
           "HTTP/1.1 200 OK\r\nA: b\nC: d\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
           "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!",
           "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
           "HTTP/1.1 101 Switching Protocols\r\n\r\n",
       }) {
    EXPECT_EQ(parse(bad).state, State::kError) << bad;
  }
  // Agreeing duplicates are one length.
  Parsed same = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(same.state, State::kDone);
  EXPECT_EQ(same.body, "hi");
}

TEST(HttpResponseParser, BodiesThatEndWithTheConnection) {
  ResponseParser p;
  Parsed r = feed_cut(p, "HTTP/1.0 200 OK\r\n\r\nall of it", {});
  EXPECT_EQ(r.state, State::kNeedMore);
  EXPECT_EQ(p.finish(), State::kDone);
  EXPECT_EQ(r.body, "all of it");
  EXPECT_TRUE(p.must_close());
  // A delimited body cut short by the close is an error, and so is no response at all.
  ResponseParser cut;
  feed_cut(cut, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", {});
  EXPECT_EQ(cut.finish(), State::kError);
  ResponseParser none;
  EXPECT_EQ(none.finish(), State::kError);
  ResponseParser chunk_cut;
  feed_cut(chunk_cut, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", {});
  EXPECT_EQ(chunk_cut.finish(), State::kError);
}

TEST(HttpResponseParser, ResponsesWithoutBodies) {
  ResponseParser head(/*no_body=*/true);
  Parsed r = feed_cut(head, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nNEXT", {});
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.leftover, 4u);
  for (std::string status : {"204 No Content", "304 Not Modified"}) {
    Parsed n = parse("HTTP/1.1 " + status + "\r\nContent-Length: 3\r\n\r\n");
    EXPECT_EQ(n.state, State::kDone) << status;
    EXPECT_EQ(n.body, "");
  }
}

TEST(HttpResponseParser, SkipsInterimResponses) {
  ResponseParser p;
  Parsed r = feed_cut(p,
                      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                      {5, 30});
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(p.response().status, 200);
  EXPECT_EQ(p.response().header("link"), "");
  EXPECT_EQ(r.body, "ok");
}

TEST(HttpResponseParser, ConnectionClose) {
  ResponseParser p;
  feed_cut(p, "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n", {});
  EXPECT_TRUE(p.must_close());
  ResponseParser keep10;
  feed_cut(keep10, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", {});
  EXPECT_FALSE(keep10.must_close());
  ResponseParser plain10;
  feed_cut(plain10, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", {});
  EXPECT_TRUE(plain10.must_close());
}

// What the server writes for a stream, read back by the client's parser.
TEST(HttpResponseStream, ServerEncodingRoundTrips) {
  Response resp;
  resp.content_type = "text/plain";
  resp.pull = [](std::string*) { return Pull::kEnd; };
  std::string head = serialize(resp, true);
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_EQ(encode_chunk(""), "");
  EXPECT_EQ(encode_chunk(std::string(26, 'z')), "1a\r\n" + std::string(26, 'z') + "\r\n");
  std::string text = head + encode_chunk("one ") + encode_chunk("") +
                     encode_chunk(std::string(300, 'x')) + std::string(kLastChunk);
  Parsed r = parse(text);
  ASSERT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.body, "one " + std::string(300, 'x'));
}

TEST(HttpEndpoint, ParsesWhatUsersWrite) {
  auto u = parse_endpoint("unix:/run/cordon/api.sock");
  ASSERT_TRUE(u.ok()) << u.error().to_string();
  EXPECT_EQ(u->unix_path, "/run/cordon/api.sock");
  auto bare = parse_endpoint("/tmp/x.sock");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->unix_path, "/tmp/x.sock");

  auto h = parse_endpoint("http://127.0.0.1:8080");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->host, "127.0.0.1");
  EXPECT_EQ(h->port, 8080);
  EXPECT_FALSE(h->tls);
  EXPECT_TRUE(h->unix_path.empty());

  auto s = parse_endpoint("https://api.example.org:8443/");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->host, "api.example.org");
  EXPECT_EQ(s->port, 8443);
  EXPECT_TRUE(s->tls);

  auto v6 = parse_endpoint("https://[::1]:9000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);

  auto dflt = parse_endpoint("https://localhost");
  ASSERT_TRUE(dflt.ok());
  EXPECT_EQ(dflt->port, 443);
  EXPECT_EQ(parse_endpoint("http://localhost")->port, 80);
}

TEST(HttpEndpoint, RefusesAndNamesTheInput) {
  for (std::string bad : std::vector<std::string>{
           "",
           "localhost:80",
           "ftp://h:1",
           "unix:",
           "unix:relative/path",
           "http://",
           "http://:80",
           "http://h:",
           "http://h:0",
           "http://h:65536",
           "http://h:12a",
           "http://h:1/path",
           "http://bad host:1",
           "https://[::1",
           "https://[::1]x",
           "https://[zz]:1",
           "http://h:123456",
           "unix:/" + std::string(200, 'p'),
       }) {
    auto r = parse_endpoint(bad);
    ASSERT_FALSE(r.ok()) << "accepted '" << bad << "'";
    EXPECT_NE(r.error().to_string().find("'" + bad + "'"), std::string::npos)
        << r.error().to_string();
  }
}

}  // namespace
}  // namespace cordon::http
