#include "base/utf8.h"

#include <gtest/gtest.h>

namespace eb {
namespace {

TEST(IsValidUtf8Test, AcceptsWellFormedAndRejectsTheRest) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ev 1 \xC3\xBC.json"));
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\x80"));  // overlong
  EXPECT_FALSE(IsValidUtf8("\xC3"));
}

TEST(Utf8Test, FirstInvalidNamesTheByte) {
  EXPECT_EQ(FirstInvalidUtf8("ok"), std::string_view::npos);
  EXPECT_EQ(FirstInvalidUtf8("ab\xC3\xBC\xED\xA0\x80"), 4u);  // a surrogate after the u-umlaut
  EXPECT_EQ(FirstInvalidUtf8("\xF0\x8F\xBF\xBF"), 0u);        // overlong 4-byte form
}

TEST(Utf8Test, AppendEncodesEveryLength) {
  std::string out;
  for (uint32_t cp : {0x41u, 0xFCu, 0x20ACu, 0x1F600u, 0x10FFFFu}) AppendUtf8(&out, cp);
  EXPECT_EQ(out, "A\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
  EXPECT_TRUE(IsValidUtf8(out));
}

}  // namespace
}  // namespace eb
