#include "base/percent.h"

#include <gtest/gtest.h>

#include <ostream>

namespace eb {
namespace {

struct DecodeCase {
  const char* encoded;
  const char* decoded;
};
// Names the CTest cases after the (ASCII) input instead of its bytes.
void PrintTo(const DecodeCase& c, std::ostream* os) { *os << '"' << c.encoded << '"'; }

class FormUrlDecodeGood : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(FormUrlDecodeGood, DecodesExactlyOnce) {
  auto r = FormUrlDecode(GetParam().encoded);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, GetParam().decoded);
}

// The traps listed in ../shared/vectors/SOURCES.md "Observations".
INSTANTIATE_TEST_SUITE_P(
    Traps, FormUrlDecodeGood,
    ::testing::Values(DecodeCase{"New+File.jpg", "New File.jpg"},        // '+' is a space (AWS)
                      DecodeCase{"red+flower.jpg", "red flower.jpg"},    // the AWS docs' example
                      DecodeCase{"a%40b", "a@b"},                        // recorded from real AWS
                      DecodeCase{"Happy%20Face.jpg", "Happy Face.jpg"},  // %20 also accepted
                      DecodeCase{"glacier%2Dtest.txt", "glacier-test.txt"},
                      DecodeCase{"c%2B%2B.txt", "c++.txt"},  // %2B is a plus
                      DecodeCase{"a+%2B+b", "a + b"},
                      DecodeCase{"test/key", "test/key"},          // slash not encoded
                      DecodeCase{"users%2FABC", "users/ABC"},      // MinIO encodes slashes
                      DecodeCase{"%C3%BC.json", "\xC3\xBC.json"},  // multi-byte UTF-8: ü
                      DecodeCase{"%c3%bc", "\xC3\xBC"},            // lower-case hex
                      DecodeCase{"%E2%82%AC%F0%9F%98%80", "\xE2\x82\xAC\xF0\x9F\x98\x80"},
                      DecodeCase{"%2525", "%25"},  // decoded once, not twice
                      DecodeCase{"", ""}));

struct BadCase {
  const char* encoded;
  const char* message;
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << '"' << c.encoded << '"'; }

class FormUrlDecodeBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(FormUrlDecodeBad, IsAnInvalidArgumentNamingTheByte) {
  auto r = FormUrlDecode(GetParam().encoded);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Traps, FormUrlDecodeBad,
    ::testing::Values(
        BadCase{"%zz", "invalid percent-escape at byte 0"},
        BadCase{"abcde%zz", "invalid percent-escape at byte 5"},
        BadCase{"a%4", "truncated percent-escape at byte 1"},
        BadCase{"%4", "truncated percent-escape at byte 0"},
        BadCase{"abc%", "truncated percent-escape at byte 3"},
        BadCase{"%4g", "invalid percent-escape at byte 0"},
        BadCase{"%FF", "not valid UTF-8 after decoding (decoded byte 0)"},
        BadCase{"ab%C3", "not valid UTF-8 after decoding (decoded byte 2)"},         // truncated
        BadCase{"%C0%AF", "not valid UTF-8 after decoding (decoded byte 0)"},        // overlong '/'
        BadCase{"%ED%A0%80", "not valid UTF-8 after decoding (decoded byte 0)"},     // surrogate
        BadCase{"%F4%90%80%80", "not valid UTF-8 after decoding (decoded byte 0)"},  // > U+10FFFF
        BadCase{"%80", "not valid UTF-8 after decoding (decoded byte 0)"}));

TEST(PercentDecodeTest, PlusIsItselfUnlessAForm) {
  EXPECT_EQ(*PercentDecode("a+b%2Bc%20d"), "a+b+c d");
  EXPECT_EQ(*PercentDecode("a+b%2Bc%20d", Plus::kSpace), "a b+c d");
  EXPECT_EQ(*PercentDecode("%FF%00"), std::string("\xFF\0", 2));  // bytes, not text
  EXPECT_EQ(PercentDecode("abc%4").status().message(), "truncated percent-escape at byte 3");
  EXPECT_EQ(PercentDecode("%g1").status().message(), "invalid percent-escape at byte 0");
}

TEST(PercentDecodeTest, LenientKeepsMalformedEscapes) {
  EXPECT_EQ(PercentDecodeLenient("100%+sure%2", Plus::kSpace), "100% sure%2");
  EXPECT_EQ(PercentDecodeLenient("%zz%41", Plus::kLiteral), "%zzA");
  EXPECT_EQ(PercentDecodeLenient("a+%2B", Plus::kLiteral), "a++");
}

}  // namespace
}  // namespace eb
