// The checks on a request's head that stay ours on top of Beast's parser (http/request.h):
// the head's end and bare LFs found in any split of the bytes, targets, fields. The
// statuses of whole requests, parsed by Beast in the daemon, are checked against the real
// daemon (tests/integration/daemon_http_test.cc).
#include <gtest/gtest.h>

#include "http/request.h"

namespace cordon::http {
namespace {

// Scans text as it would arrive in pieces of `step` bytes; the end state. *head: the head's
// size when done.
HeadScan::State scan_in_steps(HeadScan& s, const std::string& text, size_t step,
                              size_t* head = nullptr) {
  HeadScan::State st = HeadScan::State::kNeedMore;
  for (size_t have = std::min(step, text.size());; have = std::min(have + step, text.size())) {
    st = s.scan(std::string_view(text).substr(0, have));
    if (st != HeadScan::State::kNeedMore || have == text.size()) break;
  }
  if (head) *head = s.head_size();
  return st;
}

TEST(HttpHead, FindsTheEndOfTheHeadInAnySplit) {
  const std::string text = "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab\ncd";
  for (size_t step : {1u, 2u, 3u, 7u, 64u, 4096u}) {
    HeadScan s;
    size_t head = 0;
    ASSERT_EQ(scan_in_steps(s, text, step, &head), HeadScan::State::kDone) << step;
    EXPECT_EQ(head, text.size() - 5) << step;  // the body's bare LF is the body's business
  }
}

int scan_status(const std::string& text, Limits limits = {}) {
  HeadScan s(limits);
  auto st = scan_in_steps(s, text, 3);
  if (st == HeadScan::State::kDone) return 0;
  if (st == HeadScan::State::kNeedMore) return -1;
  return s.error_status();
}

TEST(HttpHead, RefusesBareLfAndOversizedHeads) {
  EXPECT_EQ(scan_status("GET / HTTP/1.1\r\n\r\n"), 0);
  EXPECT_EQ(scan_status("GET / HTTP/1.1\n\n"), 400);
  EXPECT_EQ(scan_status("GET / HTTP/1.1\r\nHost: x\n\r\n"), 400);
  EXPECT_EQ(scan_status("GET / HTTP/1.1\r\nHost: x\r\n\n"), 400);
  EXPECT_EQ(scan_status("\nGET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(scan_status("GET / HTTP/1.1\r\nHost: x\r\n"), -1);
  Limits small;
  small.max_request_line = 32;
  small.max_header_bytes = 64;
  EXPECT_EQ(scan_status("GET /" + std::string(40, 'a') + " HTTP/1.1\r\n\r\n", small), 414);
  EXPECT_EQ(scan_status("GET /" + std::string(40, 'a'), small), 414);
  EXPECT_EQ(scan_status("GET / HTTP/1.1\r\nA: " + std::string(100, 'x') + "\r\n\r\n", small), 431);
  EXPECT_EQ(scan_status("GET / HTTP/1.1\r\nA: " + std::string(59, 'x') + "\r\n\r\n", small), 0);
  EXPECT_EQ(scan_status("GET / HTTP/1.1\r\nA: " + std::string(60, 'x') + "\r\n\r\n", small), 431);
  // Without its blank line, a head never completes; it stops at the bound.
  EXPECT_EQ(scan_status("GET / HTTP/1.1\r\n" + std::string(200, 'a'), small), 431);
}

TEST(HttpHead, SplitsAndChecksTargets) {
  std::string path, query, why;
  EXPECT_EQ(split_target("/v1/jobs%2Fx?state=queued&q=a+b%20c", &path, &query, &why), 0);
  EXPECT_EQ(path, "/v1/jobs/x");
  EXPECT_EQ(query, "state=queued&q=a+b%20c");
  Request r;
  r.query = query;
  EXPECT_EQ(r.query_param("state"), "queued");
  EXPECT_EQ(r.query_param("q"), "a b c");
  EXPECT_EQ(r.query_param("missing"), "");
  for (const char* bad : {"", "*", "http://x/", "/%zz", "/%0", "/%", "/%00", "/a?b=%g1", "/a?b=%",
                          "/a b", "/a\x7f"}) {
    EXPECT_EQ(split_target(bad, &path, &query, &why), 400) << bad;
    EXPECT_FALSE(why.empty());
  }
}

TEST(HttpHead, ChecksFields) {
  using H = std::vector<std::pair<std::string, std::string>>;
  std::string why;
  EXPECT_EQ(check_fields(H{{"authorization", "Bearer a"}, {"host", "x"}}, &why), 0);
  EXPECT_EQ(check_fields(H{{"authorization", "Bearer a"}, {"authorization", "Bearer a"}}, &why),
            400);
  EXPECT_EQ(check_fields(H{{"content-length", "1"}, {"content-length", "1"}}, &why), 400);
  EXPECT_EQ(check_fields(H{{"transfer-encoding", "chunked"}}, &why), 411);
}

TEST(HttpHead, VersionStatus) {
  EXPECT_EQ(version_status("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(version_status("GET / HTTP/1.2\r\n"), 505);
  EXPECT_EQ(version_status("GET /\r\n\r\n"), 400);
  EXPECT_EQ(version_status("GET / HTTX/1.1\r\n"), 400);
  EXPECT_EQ(version_status("HTTP/1.1\r\n"), 400);
}

TEST(HttpHead, PercentDecoding) {
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
