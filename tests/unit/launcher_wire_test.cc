// The launcher's wire format: what decodes, what is refused, the bounds, and messages
// larger than one packet over a real socket pair.
#include <gtest/gtest.h>

#include <cerrno>
#include <thread>

#include "launcher/wire.h"
#include "spec/spec_json.h"
#include "sys/socket.h"

namespace cordon::launcher {
namespace {

std::string u32(uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

Request sample() {
  Request r;
  r.spec.argv = {"sh", "-c", "echo hi"};
  r.spec.env = {{"A", "1=2"}};
  r.spec.limits.memory_bytes = 64ull << 20;
  r.spec.binds.push_back({"/srv/in", "/in", false});
  r.term = "xterm";
  r.lang = "C.UTF-8";
  return r;
}

std::string enc(const Request& r) {
  auto b = encode_request(r);
  EXPECT_TRUE(b.ok());
  return b.ok() ? *b : std::string();
}

TEST(LauncherWire, RoundTrips) {
  Request r = sample();
  auto back = decode_request(enc(r));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(spec::to_json(back->spec), spec::to_json(r.spec));
  EXPECT_EQ(back->spec.limits.memory_bytes, 64ull << 20);
  EXPECT_EQ(back->term, "xterm");
  EXPECT_EQ(back->lang, "C.UTF-8");
  auto reply = decode_reply(encode_reply(Reply{-3, "{\"reason\":\"exited\"}"}));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, -3);
  EXPECT_EQ(reply->result_json, "{\"reason\":\"exited\"}");
}

TEST(LauncherWire, RefusesWhatIsMalformed) {
  std::string ok = enc(sample());
  for (size_t cut = 0; cut < ok.size(); cut += 7) {
    EXPECT_FALSE(decode_request(ok.substr(0, cut)).ok()) << "a request cut at " << cut;
  }
  EXPECT_FALSE(decode_request(ok + "x").ok());               // its length is not its size
  EXPECT_FALSE(decode_request("XXXX" + ok.substr(4)).ok());  // wrong magic
  auto with_body = [](const std::string& body) { return "CDL2" + u32(8 + body.size()) + body; };
  EXPECT_TRUE(decode_request(with_body(R"({"spec":{"argv":["true"]}})")).ok());
  EXPECT_FALSE(decode_request(with_body(R"({"spec":{"argv":[]}})")).ok());  // validated
  EXPECT_FALSE(decode_request(with_body(R"({"spec":{"argv":["true"]},"cwd":"/"})")).ok());
  EXPECT_FALSE(decode_request(with_body(R"({"spec":{"argv":["true"]},"term":"a\u0001"})")).ok());
  EXPECT_FALSE(decode_request(with_body(R"({"term":"x"})")).ok());  // no spec
  EXPECT_FALSE(decode_request(with_body("[1]")).ok());
  // A duplicate key, outside the spec or in it: two readers could disagree on it.
  EXPECT_FALSE(decode_request(with_body(R"({"spec":{"argv":["true"]},"spec":{"argv":["sh"]}})"))
                   .ok());
  EXPECT_FALSE(
      decode_request(with_body(R"({"spec":{"argv":["true"],"uid":0,"uid":1000}})")).ok());
  EXPECT_FALSE(decode_reply("CDR2").ok());
  EXPECT_FALSE(decode_reply("CDR2" + u32(8)).ok());  // no status
  EXPECT_FALSE(decode_reply("CDX2" + u32(12) + u32(0)).ok());
}

TEST(LauncherWire, BoundsAreKept) {
  Request big = sample();
  big.spec.argv = {std::string(kMaxRequestBytes, 'x')};
  EXPECT_FALSE(encode_request(big).ok());
  EXPECT_FALSE(decode_request(std::string(kMaxRequestBytes + 1, 'C')).ok());
  EXPECT_FALSE(decode_reply("CDR2" + u32(kMaxReplyBytes + 1)).ok());
}

// A spec near the limit of its arguments goes as many packets and arrives whole, with
// the fds on the first; the reader refuses a message larger than it allows.
TEST(LauncherWire, LargeMessagesCrossTheSocketInPieces) {
  auto pair = sys::seqpacket_pair();
  ASSERT_TRUE(pair.ok());
  Request r = sample();
  r.spec.argv = {"echo", std::string(900 * 1024, 'a')};
  std::string bytes = enc(r);
  ASSERT_GT(bytes.size(), 10 * kPieceBytes);
  std::thread writer([&] { EXPECT_TRUE(send_message(pair->first.get(), bytes, {0}).ok()); });
  std::vector<UniqueFd> fds;
  auto got = recv_message(pair->second.get(), kMaxRequestBytes, &fds);
  writer.join();
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(*got, bytes);
  EXPECT_EQ(fds.size(), 1u);
  auto back = decode_request(*got);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->spec.argv, r.spec.argv);

  std::thread again([&] { (void)send_message(pair->first.get(), bytes); });
  auto refused = recv_message(pair->second.get(), 64 * 1024, nullptr);
  EXPECT_FALSE(refused.ok());
  pair->second.reset();  // the writer's remaining pieces fail rather than block
  again.join();
}

}  // namespace
}  // namespace cordon::launcher
