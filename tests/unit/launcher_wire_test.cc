// The launcher's wire format: what decodes, what is refused, and the bounds.
#include <gtest/gtest.h>

#include <cerrno>

#include "launcher/wire.h"

namespace cordon::launcher {
namespace {

std::string u32(uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

std::string enc(const Request& r) {
  auto b = encode_request(r);
  EXPECT_TRUE(b.ok());
  return b.ok() ? *b : std::string();
}

TEST(LauncherWire, RoundTrips) {
  Request r{{"--json", "--", "sh", "-c", "echo hi"}, {"PATH=/bin", "EMPTY="}, "/home/x"};
  auto bytes = encode_request(r);
  ASSERT_TRUE(bytes.ok());
  auto back = decode_request(*bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->args, r.args);
  EXPECT_EQ(back->env, r.env);
  EXPECT_EQ(back->cwd, r.cwd);
  auto reply = decode_reply(encode_reply(-3));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply, -3);
}

TEST(LauncherWire, RefusesWhatIsMalformed) {
  std::string ok = enc({{"--", "true"}, {}, "/"});
  for (size_t cut = 0; cut < ok.size(); ++cut) {
    auto r = decode_request(ok.substr(0, cut));
    EXPECT_FALSE(r.ok()) << "a request cut at " << cut << " decoded";
    if (!r.ok()) {
      EXPECT_EQ(r.error().err, EPROTO);
    }
  }
  EXPECT_FALSE(decode_request(ok + "x").ok());                     // trailing bytes
  EXPECT_FALSE(decode_request("XXXX" + ok.substr(4)).ok());        // wrong magic
  EXPECT_FALSE(decode_request(enc({{}, {}, "rel"})).ok());  // relative cwd
  EXPECT_FALSE(decode_request(enc({{}, {"NOEQUALS"}, "/"})).ok());
  EXPECT_FALSE(decode_request(enc({{std::string("a\0b", 3)}, {}, "/"})).ok());
  // A count far over the limit is refused before anything is reserved for it.
  EXPECT_FALSE(decode_request("CDL1" + u32(0xffffffffu)).ok());
  EXPECT_FALSE(decode_request("CDL1" + u32(1) + u32(0xfffffff0u) + "ab").ok());
  EXPECT_FALSE(decode_reply("CDR1").ok());
  EXPECT_FALSE(decode_reply("CDX1" + u32(0)).ok());
}

TEST(LauncherWire, BoundsAreKept) {
  Request many{std::vector<std::string>(kMaxStrings + 1, "x"), {}, "/"};
  EXPECT_FALSE(encode_request(many).ok());
  Request big{{std::string(kMaxRequestBytes, 'x')}, {}, "/"};
  EXPECT_FALSE(encode_request(big).ok());
  EXPECT_FALSE(decode_request(std::string(kMaxRequestBytes + 1, 'C')).ok());
  Request edge{std::vector<std::string>(kMaxStrings, ""), std::vector<std::string>(kMaxStrings, "A="), "/"};
  auto bytes = encode_request(edge);
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(decode_request(*bytes).ok());
}

}  // namespace
}  // namespace cordon::launcher
