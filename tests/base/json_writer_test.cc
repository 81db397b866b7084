#include "base/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eb {
namespace {

TEST(JsonWriterTest, WritesWhatNlohmannReadsBack) {
  JsonWriter w;
  w.BeginObject().Key("s").String("a \"quoted\" \\ back\nslash\t\x01").Key("n").Int(-42);
  w.Key("b").Bool(true).Key("list").BeginArray().String("x").Int(1).BeginObject().EndObject().EndArray();
  w.Key("raw").Raw("[1,2]").Key("utf8").String("ü 日本 😀").EndObject();
  auto j = nlohmann::json::parse(w.str());
  EXPECT_EQ(j["s"], "a \"quoted\" \\ back\nslash\t\x01");
  EXPECT_EQ(j["n"], -42);
  EXPECT_EQ(j["b"], true);
  EXPECT_EQ(j["list"].size(), 3u);
  EXPECT_EQ(j["raw"][1], 2);
  EXPECT_EQ(j["utf8"], "ü 日本 😀");
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacter) {
  for (std::string bad : std::vector<std::string>{"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\x80"}) {
    std::string out;
    AppendJsonString(out, bad);
    auto j = nlohmann::json::parse(out);  // must be valid JSON
    EXPECT_NE(j.get<std::string>().find("\xEF\xBF\xBD"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace eb
