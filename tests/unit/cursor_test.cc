// The page cursors of GET /v1/jobs (rest/cursor.h): a position comes back only for the
// scope and key it was made with; everything else is refused, before any decryption
// when it is not even the right length or alphabet. The edge cases of
// fuzz/cursor_fuzz.cc.
#include "api/cursor.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cordon::api {
namespace {

const std::string kKey(kCursorKeyBytes, '\x01');
const std::string kNonce(kCursorNonceBytes, '\x02');
constexpr const char* kAlice = "tenant t-0123456789abcdef";
constexpr const char* kBob = "tenant t-fedcba9876543210";

TEST(Cursor, RoundTripsForItsScopeOnly) {
  for (int64_t pos : {int64_t{0}, int64_t{1}, int64_t{12345}, INT64_MAX}) {
    std::string c = encode_cursor(kKey, pos, kAlice, kNonce);
    ASSERT_EQ(c.size(), kCursorChars);
    EXPECT_EQ(decode_cursor(kKey, c, kAlice), pos);
    EXPECT_FALSE(decode_cursor(kKey, c, kBob));
    EXPECT_FALSE(decode_cursor(kKey, c, "operator"));
    EXPECT_FALSE(decode_cursor(std::string(kCursorKeyBytes, '\x03'), c, kAlice));
  }
}

TEST(Cursor, RevealsNoPositionAndNeverRepeatsWithFreshNonces) {
  // The position is not in the text: neither as decimal digits nor as a fixed part that
  // two positions would share; and two nonces give unrelated cursors.
  std::string a = encode_cursor(kKey, 41, kAlice, kNonce);
  std::string b = encode_cursor(kKey, 42, kAlice, kNonce);
  EXPECT_EQ(a.find("41"), std::string::npos);
  EXPECT_NE(a, b);
  std::string other_nonce(kCursorNonceBytes, '\x07');
  std::string c = encode_cursor(kKey, 41, kAlice, other_nonce);
  EXPECT_NE(a, c);
  EXPECT_EQ(decode_cursor(kKey, c, kAlice), 41);
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == c[i];
  EXPECT_LT(same, a.size() / 2);
}

TEST(Cursor, AnyAlterationIsRefused) {
  std::string c = encode_cursor(kKey, 7, kAlice, kNonce);
  for (size_t i = 0; i < c.size(); ++i) {
    std::string altered = c;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(decode_cursor(kKey, altered, kAlice)) << i;
  }
}

TEST(Cursor, WrongShapesAreRefused) {
  std::string c = encode_cursor(kKey, 7, kAlice, kNonce);
  for (const std::string& bad : {std::string(), std::string("7"), c.substr(1), c + "A", c + c,
                                 std::string(kCursorChars, '='), std::string(kCursorChars, '+'),
                                 c.substr(0, kCursorChars - 1) + "/",
                                 std::string(kCursorChars, '\0'), std::string(4096, 'A')})
    EXPECT_FALSE(decode_cursor(kKey, bad, kAlice)) << bad.size();
  // A key or a nonce of the wrong size makes nothing; nor does a negative position.
  EXPECT_EQ(encode_cursor("short", 1, kAlice, kNonce), "");
  EXPECT_EQ(encode_cursor(kKey, 1, kAlice, "short"), "");
  EXPECT_EQ(encode_cursor(kKey, -1, kAlice, kNonce), "");
  EXPECT_FALSE(decode_cursor("short", c, kAlice));
}

TEST(Cursor, AlphabetIsUrlSafe) {
  std::set<char> seen;
  for (int i = 0; i < 64; ++i) {
    std::string nonce(kCursorNonceBytes, static_cast<char>(i * 4));
    for (char ch : encode_cursor(kKey, i, kAlice, nonce)) seen.insert(ch);
  }
  for (char ch : seen)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << ch;
}

}  // namespace
}  // namespace cordon::api
