// base/parse.h: sizes, durations and bounded integers as a human writes them.
#include "base/parse.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace cordon {
namespace {

constexpr uint64_t kKi = 1024;
constexpr uint64_t kMi = kKi * 1024;
constexpr uint64_t kGi = kMi * 1024;
constexpr uint64_t kTi = kGi * 1024;

uint64_t size_ok(const std::string& text) {
  auto r = parse_size(text);
  EXPECT_TRUE(r.ok()) << "parse_size('" << text
                      << "') failed: " << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? *r : UINT64_MAX;
}

uint64_t dur_ok(const std::string& text) {
  auto r = parse_duration_ns(text);
  EXPECT_TRUE(r.ok()) << "parse_duration_ns('" << text
                      << "') failed: " << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? *r : UINT64_MAX;
}

// ---- parse_size ----

TEST(ParseSize, BareNumberIsBytes) {
  EXPECT_EQ(size_ok("512"), 512u);
  EXPECT_EQ(size_ok("0"), 0u);
  EXPECT_EQ(size_ok("1"), 1u);
}

TEST(ParseSize, SuffixesArePowersOf1024) {
  EXPECT_EQ(size_ok("64K"), 64 * kKi);
  EXPECT_EQ(size_ok("1M"), kMi);
  EXPECT_EQ(size_ok("3G"), 3 * kGi);
  EXPECT_EQ(size_ok("2T"), 2 * kTi);
}

TEST(ParseSize, SuffixIsCaseInsensitive) {
  EXPECT_EQ(size_ok("64k"), 64 * kKi);
  EXPECT_EQ(size_ok("5m"), 5 * kMi);
  EXPECT_EQ(size_ok("1g"), kGi);
  EXPECT_EQ(size_ok("2mib"), 2 * kMi);
}

TEST(ParseSize, OptionalIAndIBAndBSuffix) {
  EXPECT_EQ(size_ok("2MiB"), 2 * kMi);
  EXPECT_EQ(size_ok("1GB"), kGi);
  EXPECT_EQ(size_ok("4Ki"), 4 * kKi);
  EXPECT_EQ(size_ok("7KB"), 7 * kKi);
  EXPECT_EQ(size_ok("100B"), 100u);
}

TEST(ParseSize, FractionWithSuffix) {
  EXPECT_EQ(size_ok("1.5G"), kGi + kGi / 2);
  EXPECT_EQ(size_ok("0.5K"), 512u);
  EXPECT_EQ(size_ok("2.5M"), 5 * kMi / 2);
}

// Decimal fractions that are whole byte counts must come out exact, not one byte short
// of it from rounding in the fraction (1.25K is 1280 bytes, 0.75M is 786432).
TEST(ParseSize, DecimalFractionsThatAreWholeAreExact) {
  EXPECT_EQ(size_ok("1.25K"), 1280u);
  EXPECT_EQ(size_ok("0.75M"), 786432u);
  EXPECT_EQ(size_ok("0.125K"), 128u);
  EXPECT_EQ(size_ok("1.75G"), kGi + 3 * kGi / 4);
  EXPECT_EQ(size_ok("3.90625K"), 4000u);
}

// Exact decimal arithmetic: no float rounding loses a byte.
TEST(ParseSize, FractionIsExact) {
  EXPECT_EQ(size_ok("0.0009765625M"), 1024u);
}

TEST(ParseSize, LargestValuesThatFit) {
  EXPECT_EQ(size_ok("16777215T"), 16777215 * kTi);
  EXPECT_EQ(size_ok("18446744073709551614"), 18446744073709551614ull);
}

TEST(ParseSize, RejectsEmpty) {
  EXPECT_FALSE(parse_size("").ok());
}

TEST(ParseSize, RejectsNegative) {
  EXPECT_FALSE(parse_size("-1").ok());
  EXPECT_FALSE(parse_size("-1K").ok());
}

TEST(ParseSize, RejectsFractionalBytes) {
  auto r = parse_size("1.5");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("whole"), std::string::npos) << r.error().to_string();
  EXPECT_FALSE(parse_size("0.5B").ok());
}

TEST(ParseSize, RejectsUnknownSuffixAndJunk) {
  EXPECT_FALSE(parse_size("12X").ok());
  EXPECT_FALSE(parse_size("1e3").ok());
  EXPECT_FALSE(parse_size("12KK").ok());
  EXPECT_FALSE(parse_size("12KiBx").ok());
  EXPECT_FALSE(parse_size("12 K").ok());
  EXPECT_FALSE(parse_size(" 12").ok());
  EXPECT_FALSE(parse_size("12 ").ok());
  EXPECT_FALSE(parse_size("+12").ok());
  EXPECT_FALSE(parse_size("K").ok());
  EXPECT_FALSE(parse_size(".").ok());
  EXPECT_FALSE(parse_size("0x10").ok());
  EXPECT_FALSE(parse_size("1P").ok());
}

TEST(ParseSize, RejectsOverflow) {
  auto r = parse_size("99999999999T");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("too large"), std::string::npos) << r.error().to_string();
  EXPECT_FALSE(parse_size("16777216T").ok());  // exactly 2^64
  EXPECT_FALSE(parse_size("99999999999999999999").ok());
}

TEST(ParseSize, RejectsOver32Chars) {
  std::string zeros33 = std::string(32, '0') + "1";  // 33 chars, value 1
  ASSERT_EQ(zeros33.size(), 33u);
  EXPECT_FALSE(parse_size(zeros33).ok());
  std::string zeros32 = std::string(31, '0') + "1";  // 32 chars is still allowed
  EXPECT_EQ(size_ok(zeros32), 1u);
}

TEST(ParseSize, ErrorNamesTheText) {
  auto r = parse_size("12X");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, 0);
  EXPECT_NE(r.error().to_string().find("12X"), std::string::npos) << r.error().to_string();
}

// ---- parse_duration_ns ----

TEST(ParseDuration, Units) {
  EXPECT_EQ(dur_ok("1ns"), 1u);
  EXPECT_EQ(dur_ok("250us"), 250'000u);
  EXPECT_EQ(dur_ok("500ms"), 500'000'000u);
  EXPECT_EQ(dur_ok("30s"), 30'000'000'000u);
  EXPECT_EQ(dur_ok("2m"), 120'000'000'000u);
  EXPECT_EQ(dur_ok("1h"), 3'600'000'000'000u);
}

TEST(ParseDuration, BareNumberIsSeconds) {
  EXPECT_EQ(dur_ok("10"), 10'000'000'000u);
  EXPECT_EQ(dur_ok("0"), 0u);
}

TEST(ParseDuration, Compound) {
  EXPECT_EQ(dur_ok("1h30m"), 5'400'000'000'000u);
  EXPECT_EQ(dur_ok("1m30s"), 90'000'000'000u);
  EXPECT_EQ(dur_ok("1s500ms"), 1'500'000'000u);
}

TEST(ParseDuration, Fractions) {
  EXPECT_EQ(dur_ok("1.5s"), 1'500'000'000u);
  EXPECT_EQ(dur_ok("0.5m"), 30'000'000'000u);
  EXPECT_EQ(dur_ok("1.5h"), 5'400'000'000'000u);
}

// Decimal fractions of a second must come out exact, not a nanosecond short.
TEST(ParseDuration, DecimalFractionsAreExact) {
  EXPECT_EQ(dur_ok("0.1s"), 100'000'000u);
  EXPECT_EQ(dur_ok("0.3s"), 300'000'000u);
  EXPECT_EQ(dur_ok("2.7s"), 2'700'000'000u);
  EXPECT_EQ(dur_ok("0.25s"), 250'000'000u);
  EXPECT_EQ(dur_ok("0.5us"), 500u);
}

// Exact decimal arithmetic: no float rounding loses a nanosecond.
TEST(ParseDuration, MillisecondFractionsAreExact) {
  EXPECT_EQ(dur_ok("1.000000001s"), 1'000'000'001u);
  EXPECT_EQ(dur_ok("0.001s"), 1'000'000u);
  EXPECT_EQ(dur_ok("0.002s"), 2'000'000u);
  EXPECT_EQ(dur_ok("0.001ms"), 1'000u);
}

TEST(ParseDuration, RejectsEmptyAndUnknownUnit) {
  EXPECT_FALSE(parse_duration_ns("").ok());
  EXPECT_FALSE(parse_duration_ns("5x").ok());
  EXPECT_FALSE(parse_duration_ns("5S").ok());  // units are lower case
  EXPECT_FALSE(parse_duration_ns("5sec").ok());
  EXPECT_FALSE(parse_duration_ns("5d").ok());
}

TEST(ParseDuration, RejectsSpacesAndJunk) {
  EXPECT_FALSE(parse_duration_ns("1h 30m").ok());
  EXPECT_FALSE(parse_duration_ns("10 5").ok());
  EXPECT_FALSE(parse_duration_ns(" 10s").ok());
  EXPECT_FALSE(parse_duration_ns("10s ").ok());
  EXPECT_FALSE(parse_duration_ns("1h30").ok());  // a bare number only alone
}

TEST(ParseDuration, RejectsMissingNumber) {
  EXPECT_FALSE(parse_duration_ns("s").ok());
  EXPECT_FALSE(parse_duration_ns("ms").ok());
  EXPECT_FALSE(parse_duration_ns("1hm").ok());
}

TEST(ParseDuration, RejectsNegative) {
  EXPECT_FALSE(parse_duration_ns("-1s").ok());
  EXPECT_FALSE(parse_duration_ns("-1").ok());
  EXPECT_FALSE(parse_duration_ns("1h-30m").ok());
}

TEST(ParseDuration, RejectsOverflowAndLongText) {
  EXPECT_FALSE(parse_duration_ns("99999999999h").ok());
  EXPECT_FALSE(parse_duration_ns("99999999999999999999").ok());
  EXPECT_FALSE(parse_duration_ns(std::string(32, '0') + "1").ok());
}

// ---- parse_uint ----

TEST(ParseUint, InRange) {
  auto r = parse_uint("42", 0, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42u);
  r = parse_uint("0", 0, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
  r = parse_uint("007", 0, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 7u);
}

TEST(ParseUint, BoundsAreInclusive) {
  auto lo = parse_uint("10", 10, 20);
  ASSERT_TRUE(lo.ok());
  EXPECT_EQ(*lo, 10u);
  auto hi = parse_uint("20", 10, 20);
  ASSERT_TRUE(hi.ok());
  EXPECT_EQ(*hi, 20u);
  EXPECT_FALSE(parse_uint("9", 10, 20).ok());
  EXPECT_FALSE(parse_uint("21", 10, 20).ok());
  EXPECT_FALSE(parse_uint("65536", 0, 65535).ok());
  EXPECT_TRUE(parse_uint("65535", 0, 65535).ok());
}

TEST(ParseUint, Uint64Extremes) {
  auto r = parse_uint("18446744073709551615", 0, UINT64_MAX);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, UINT64_MAX);
  EXPECT_FALSE(parse_uint("18446744073709551616", 0, UINT64_MAX).ok());
  EXPECT_FALSE(parse_uint("99999999999999999999", 0, UINT64_MAX).ok());
  EXPECT_FALSE(parse_uint("123456789012345678901", 0, UINT64_MAX).ok());  // 21 digits
}

TEST(ParseUint, RejectsNonDigits) {
  EXPECT_FALSE(parse_uint("", 0, 100).ok());
  EXPECT_FALSE(parse_uint("-1", 0, 100).ok());
  EXPECT_FALSE(parse_uint("+1", 0, 100).ok());
  EXPECT_FALSE(parse_uint("1a", 0, 100).ok());
  EXPECT_FALSE(parse_uint(" 1", 0, 100).ok());
  EXPECT_FALSE(parse_uint("1 ", 0, 100).ok());
  EXPECT_FALSE(parse_uint("1.0", 0, 100).ok());
  EXPECT_FALSE(parse_uint("0x1", 0, 100).ok());
}

TEST(ParseUint, ErrorNamesTheRange) {
  auto r = parse_uint("70000", 0, 65535);
  ASSERT_FALSE(r.ok());
  std::string msg = r.error().to_string();
  EXPECT_NE(msg.find("70000"), std::string::npos) << msg;
  EXPECT_NE(msg.find("65535"), std::string::npos) << msg;
}

}  // namespace
}  // namespace cordon

namespace cordon {
namespace {

TEST(ParseSize, RejectsAPointWithoutDigitsAfterIt) {
  EXPECT_FALSE(parse_size("5.").ok());
  EXPECT_FALSE(parse_size(".5K").ok());
}

TEST(ParseDuration, UnitsComeLargestFirstAndOnce) {
  EXPECT_FALSE(parse_duration_ns("1s1s").ok());
  EXPECT_FALSE(parse_duration_ns("30m1h").ok());
  EXPECT_FALSE(parse_duration_ns("5.s").ok());
  EXPECT_FALSE(parse_duration_ns("0.5ns").ok());  // finer than the clock
  EXPECT_EQ(parse_duration_ns("1h1m1s1ms1us1ns").value(), 3661001001001ull);
}

}  // namespace
}  // namespace cordon

#include "base/text.h"

namespace cordon {
namespace {

TEST(Text, SplitLines) {
  EXPECT_EQ(split_lines("a\nb\n"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(split_lines("a\n\nc"), (std::vector<std::string_view>{"a", "", "c"}));
  EXPECT_TRUE(split_lines("").empty());
}

TEST(Text, Split3KeepsTheRestInTheLastField) {
  auto f = split3("0::/a:b", ':');
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ((*f)[0], "0");
  EXPECT_EQ((*f)[1], "");
  EXPECT_EQ((*f)[2], "/a:b");
  EXPECT_FALSE(split3("only:one", ':').has_value());
}

// The formatters write what a person would, and what the parsers read back exactly.
TEST(Format, SizesDurationsAndMillisReadBackToTheSameValue) {
  EXPECT_EQ(format_size(256ull << 20), "256M");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(0), "0");
  EXPECT_EQ(format_size(3ull << 40), "3T");
  EXPECT_EQ(format_size(5ull << 50), "5120T");
  EXPECT_EQ(format_duration_ns(30'000'000'000ull), "30s");
  EXPECT_EQ(format_duration_ns(1'500'000ull), "1500us");
  EXPECT_EQ(format_duration_ns(7'200'000'000'000ull), "2h");
  EXPECT_EQ(format_duration_ns(0), "0ns");
  EXPECT_EQ(format_milli(10), "0.01");
  EXPECT_EQ(format_milli(2000), "2");
  EXPECT_EQ(format_milli(1250), "1.25");
  for (uint64_t v : {0ull, 1ull, 1023ull, 1024ull, 1536ull, 4ull << 20, (1ull << 62) + 1}) {
    auto back = parse_size(format_size(v));
    ASSERT_TRUE(back.ok()) << format_size(v);
    EXPECT_EQ(*back, v);
  }
  for (uint64_t v :
       {1ull, 999ull, 1000ull, 1'000'000ull, 60'000'000'000ull, 3'601'000'000'000ull}) {
    auto back = parse_duration_ns(format_duration_ns(v));
    ASSERT_TRUE(back.ok()) << format_duration_ns(v);
    EXPECT_EQ(*back, v);
  }
  for (uint64_t v : {0ull, 1ull, 10ull, 100ull, 999ull, 1001ull, 123456ull}) {
    auto back = parse_milli(format_milli(v));
    ASSERT_TRUE(back.ok()) << format_milli(v);
    EXPECT_EQ(*back, v);
  }
}

TEST(HttpFieldLine, NameLoweredValueTrimmed) {
  auto f = http_field_line("WWW-Authenticate: \tBearer realm=\"x\" \r\n");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->first, "www-authenticate");
  EXPECT_EQ(f->second, "Bearer realm=\"x\"");
  auto empty = http_field_line("X-Empty:\r\n");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->second, "");
}

TEST(HttpFieldLine, StatusAndEndLinesAreNotFields) {
  EXPECT_FALSE(http_field_line("HTTP/1.1 200 OK\r\n").has_value());
  EXPECT_FALSE(http_field_line("\r\n").has_value());
  EXPECT_FALSE(http_field_line(": no name\r\n").has_value());
}

}  // namespace
}  // namespace cordon
