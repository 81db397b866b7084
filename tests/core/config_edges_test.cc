// Two rough edges of the configuration (issue 16): a prefix written with a
// trailing slash, and an unknown action type that is nearly a known one.
#include <gtest/gtest.h>

#include "core/config.h"

namespace eb {
namespace {

TEST(ConfigEdges, CountPrefixWithTrailingSlashIsAcceptedAndNormalised) {
  auto p = ParseConfig(R"({"barriers": {"parts": {"count": 2, "prefix": "out/{run}/"}}})");
  ASSERT_TRUE(p.ok()) << p.ErrorText();
  const BarrierSpec& b = p.config.barriers[0];
  ASSERT_TRUE(b.prefix.has_value());
  EXPECT_EQ(b.prefix->text(), "out/{run}");
  EXPECT_EQ(b.variables, std::vector<std::string>{"run"});
  auto m = b.prefix->Match("out/r7/part-0000.parquet");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->at("run"), "r7");
  // The same barrier written without the slash is the same barrier.
  auto plain = ParseConfig(R"({"barriers": {"parts": {"count": 2, "prefix": "out/{run}"}}})");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.config.barriers[0].prefix->text(), b.prefix->text());
}

TEST(ConfigEdges, MemberWithTrailingSlashIsNormalisedButEmptySegmentsStayRefused) {
  auto p = ParseConfig(R"({"barriers": {"b": {"members": ["in/{day}/east/", "in/{day}/west"]}}})");
  ASSERT_TRUE(p.ok()) << p.ErrorText();
  EXPECT_EQ(p.config.barriers[0].members[0].text(), "in/{day}/east");
  for (const char* bad : {R"("out//{run}")", R"("out/{run}//")", R"("/out/{run}")", R"("/")"}) {
    auto refused =
        ParseConfig(std::string(R"({"barriers": {"b": {"count": 2, "prefix": )") + bad + "}}}");
    EXPECT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.ErrorText().find("prefix"), std::string::npos) << refused.ErrorText();
  }
}

TEST(ConfigEdges, UnknownActionTypeSuggestsTheNearestKnownOne) {
  struct Case {
    const char* type;
    const char* suggestion;  // "" when nothing is close
  };
  for (const Case& c : {Case{"exek", "exec"}, Case{"EXEC", "exec"}, Case{"webhok", "webhook"},
                        Case{"manifset", "manifest"}, Case{"sqs2", "sqs"},
                        Case{"carrier-pigeon", ""}, Case{"x", ""}}) {
    auto p = ParseConfig(
        std::string(R"({"barriers": {"b": {"members": ["a"], "on_complete": [{"type": ")") +
        c.type + R"("}]}}})");
    ASSERT_FALSE(p.ok()) << c.type;
    std::string text = p.ErrorText();
    EXPECT_NE(text.find("unknown action type '" + std::string(c.type) + "'"), std::string::npos)
        << text;
    if (*c.suggestion) {
      EXPECT_NE(text.find(std::string("did you mean '") + c.suggestion + "'?"), std::string::npos)
          << text;
    } else {
      EXPECT_EQ(text.find("did you mean"), std::string::npos) << text;
    }
  }
}

}  // namespace
}  // namespace eb
