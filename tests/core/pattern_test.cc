#include "core/pattern.h"

#include <gtest/gtest.h>

namespace eb {
namespace {

Pattern P(const std::string& text) {
  auto p = Pattern::Parse(text);
  EXPECT_TRUE(p.ok()) << text << ": " << p.status().ToString();
  return *p;
}

TEST(PatternTest, OriginalPrefixSemantics) {
  Pattern p = P("0/0");
  EXPECT_TRUE(p.Match("0/0"));
  EXPECT_TRUE(p.Match("0/0/file1.txt"));
  EXPECT_TRUE(p.Match("0/0/deep/er.txt"));
  EXPECT_FALSE(p.Match("0/0x"));
  EXPECT_FALSE(p.Match("0/1"));
  EXPECT_FALSE(p.Match("0"));
  EXPECT_FALSE(p.Match("x/0/0"));
}

TEST(PatternTest, VariablesBindOneSegment) {
  Pattern p = P("sales/{date}/east.csv");
  auto b = p.Match("sales/2026-11-24/east.csv");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->at("date"), "2026-11-24");
  EXPECT_FALSE(p.Match("sales/2026/11/east.csv"));
  // An empty segment binds "": BindingValueProblem refuses it, and the
  // engine ignores the key with the reason "binding" (arrival_filter.h).
  auto empty = p.Match("sales//east.csv");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->at("date"), "");
  EXPECT_NE(BindingValueProblem(empty->at("date")), "");
  EXPECT_EQ(p.Render({{"date", "2026-11-24"}}), "sales/2026-11-24/east.csv");
  EXPECT_EQ(p.Variables(), std::vector<std::string>{"date"});
}

TEST(PatternTest, RejectsBadPatterns) {
  for (std::string bad : {"", "/a", "a/", "a//b", "x{d}", "{d}x", "{}", "{1d}", "{d}/{d}", "{a b}"}) {
    EXPECT_FALSE(Pattern::Parse(bad).ok()) << bad;
  }
}

TEST(PatternTest, Overlaps) {
  EXPECT_TRUE(P("a/b").Overlaps(P("a/b/c")));
  EXPECT_TRUE(P("a/b/c").Overlaps(P("a/b")));
  EXPECT_FALSE(P("a/b").Overlaps(P("a/c")));
  EXPECT_FALSE(P("0/0").Overlaps(P("0/1")));
  EXPECT_TRUE(P("{x}/b").Overlaps(P("a/{x}")));
  EXPECT_FALSE(P("s/{d}/east").Overlaps(P("s/{d}/west")));
}

}  // namespace
}  // namespace eb
