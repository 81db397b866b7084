#include "core/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace eb {
namespace {

bool HasError(const ConfigParse& p, const std::string& barrier, const std::string& field,
              const std::string& reason_part) {
  for (const auto& e : p.errors) {
    if (e.barrier == barrier && e.field == field && e.reason.find(reason_part) != std::string::npos) return true;
  }
  return false;
}

TEST(ConfigTest, OriginalFormatKeepsWorking) {
  auto p = ParseConfig(R"({ "event-barrier-0": ["0/0", "0/1"],
                            "event-barrier-2": ["2/0", "2/1", "2/2"] })");
  ASSERT_TRUE(p.ok()) << p.ErrorText();
  EXPECT_FALSE(p.config.extended);
  ASSERT_EQ(p.config.barriers.size(), 2u);
  const BarrierSpec& b = p.config.barriers[1];
  EXPECT_EQ(b.name, "event-barrier-2");
  EXPECT_EQ(b.members.size(), 3u);
  EXPECT_EQ(b.mode, BarrierMode::kCyclic);
  EXPECT_FALSE(b.timeout_ms);
  EXPECT_EQ(b.events, std::vector<std::string>{"ObjectCreated:*"});
}

TEST(ConfigTest, ExampleConfigurationValidates) {
  std::ifstream in(std::string(EB_SOURCE_DIR) + "/examples/barriers.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto p = ParseConfig(ss.str());
  EXPECT_TRUE(p.ok()) << p.ErrorText();
  EXPECT_EQ(p.config.barriers.size(), 3u);
}

TEST(ConfigTest, ExtendedFormat) {
  auto p = ParseConfig(R"({
    "barriers": {
      "daily-sales": {
        "members": ["sales/{date}/east.csv", "sales/{date}/west.csv", "sales/{date}/north.csv"],
        "timeout": "6h",
        "on_complete": [{"type": "manifest", "key": "ready/{date}/_SUCCESS.json"},
                        {"type": "exec", "command": ["load.sh", "{date}"]}],
        "on_timeout": [{"type": "webhook", "url": "https://example.com/hook", "secret_env": "HOOK_SECRET"}]
      },
      "logs": {"count": 5, "prefix": "logs/{day}", "suffix": ".gz", "mode": "cyclic"}
    },
    "state": {"url": "s3://bucket/state", "prefix": "_eb", "lease": "2m", "retention": "7d"}
  })");
  ASSERT_TRUE(p.ok()) << p.ErrorText();
  EXPECT_TRUE(p.config.extended);
  const BarrierSpec* sales = p.config.Find("daily-sales");
  ASSERT_NE(sales, nullptr);
  EXPECT_EQ(sales->mode, BarrierMode::kOnce) << "templated barriers default to once";
  EXPECT_EQ(*sales->timeout_ms, 6 * 3600 * 1000);
  EXPECT_EQ(sales->variables, std::vector<std::string>{"date"});
  ASSERT_EQ(sales->on_complete.size(), 2u);
  EXPECT_EQ(sales->on_complete[1].command, (std::vector<std::string>{"load.sh", "{date}"}));
  const BarrierSpec* logs = p.config.Find("logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_TRUE(logs->is_count());
  EXPECT_EQ(logs->count, 5);
  EXPECT_EQ(logs->mode, BarrierMode::kCyclic);
  EXPECT_EQ(p.config.state.prefix, "_eb/");
  EXPECT_EQ(p.config.state.lease_ms, 120000);
}

TEST(ConfigTest, ReportsEveryProblemWithBarrierFieldAndReason) {
  auto p = ParseConfig(R"({
    "barriers": {
      "empty": {"members": []},
      "dupes": {"members": ["a/b", "a/b"]},
      "overlap": {"members": ["a/b", "a/b/c"]},
      "vars": {"members": ["s/{date}/x", "s/{day}/y"]},
      "dur": {"members": ["x"], "timeout": "5 minutes"},
      "unknown": {"members": ["x"], "colour": "blue"},
      "action": {"members": ["x"], "on_complete": [{"type": "carrier-pigeon"}]},
      "bad name!": {"members": ["x"]},
      "_reserved": {"members": ["x"]},
      "mode": {"members": ["x"], "mode": "sometimes"},
      "both": {"members": ["x"], "count": 2, "prefix": "y"}
    },
    "extra": true
  })");
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(HasError(p, "empty", "members", "empty member list")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "dupes", "members", "duplicate member 'a/b'")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "overlap", "members", "overlap")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "vars", "members", "different variables")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "dur", "timeout", "bad duration")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "unknown", "colour", "unknown field")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "action", "on_complete[0].type", "unknown action type 'carrier-pigeon'")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "bad name!", "", "invalid barrier name")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "_reserved", "", "invalid barrier name")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "mode", "mode", "cyclic")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "both", "members", "not both")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "", "extra", "unknown top-level field")) << p.ErrorText();
  EXPECT_GE(p.errors.size(), 12u);
}

TEST(ConfigTest, OriginalFormatErrors) {
  auto p = ParseConfig(R"({"b": "0/0", "c": [], "d": ["x", 3], "e": ["a/b", "a/b/c"]})");
  EXPECT_TRUE(HasError(p, "b", "members", "must be a list")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "c", "members", "empty")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "d", "members[1]", "must be a string")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "e", "members", "overlap")) << p.ErrorText();
}

TEST(ConfigTest, MalformedJsonIsAnErrorNotACrash) {
  for (std::string bad : std::vector<std::string>{"", "{", "[1,2]", "null", "{\"a\": [\"x\"],}", "{\"a\":\xff}", "42"}) {
    auto p = ParseConfig(bad);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_FALSE(p.ErrorText().empty());
  }
}

TEST(ConfigTest, ActionFields) {
  auto p = ParseConfig(R"({"barriers": {"b": {"members": ["x"], "on_complete": [
      {"type": "manifest"},
      {"type": "exec", "command": "rm -rf /"},
      {"type": "webhook", "url": "https://x", "colour": "red"},
      {"type": "exec", "command": ["true"], "timeout": "soon"}]}}})");
  EXPECT_TRUE(HasError(p, "b", "on_complete[0].key", "required")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "on_complete[1].command", "list")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "on_complete[2].colour", "unknown field")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "on_complete[3].timeout", "bad duration")) << p.ErrorText();
}

TEST(ConfigTest, OnLateIsValidatedLikeTheOtherActionLists) {
  auto good = ParseConfig(R"({"barriers": {"b": {"members": ["s/{date}/x"], "on_late": [
      {"type": "manifest", "key": "late/{date}/{idempotency_key}.json"}, {"type": "webhook", "url": "https://x"}]}}})");
  ASSERT_TRUE(good.ok()) << good.ErrorText();
  ASSERT_EQ(good.config.Find("b")->on_late.size(), 2u);
  std::vector<std::string> where;
  ForEachAction(*good.config.Find("b"),
                [&](const std::string& w, const ActionSpec&) { where.push_back(w); });
  EXPECT_EQ(where, (std::vector<std::string>{"on_late[0]", "on_late[1]"}));

  auto p = ParseConfig(R"({"barriers": {
      "type": {"members": ["s/{date}/x"], "on_late": [{"type": "carrier-pigeon"}, {"type": "manifest"}]},
      "list": {"members": ["s/{date}/x"], "on_late": {"type": "manifest", "key": "k"}},
      "vars": {"members": ["s/{date}/x"], "on_late": [{"type": "manifest", "key": "late/{day}.json"}]},
      "cyclic": {"members": ["a", "b"], "on_late": [{"type": "manifest", "key": "k"}]}}})");
  EXPECT_TRUE(HasError(p, "type", "on_late[0].type", "unknown action type 'carrier-pigeon'"))
      << p.ErrorText();
  EXPECT_TRUE(HasError(p, "type", "on_late[1].key", "required")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "list", "on_late", "must be a list of actions")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "vars", "on_late[0].key", "unknown variable {day}")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "cyclic", "on_late", "only a once-mode instance trips for good"))
      << p.ErrorText();
  EXPECT_EQ(p.errors.size(), 5u) << p.ErrorText();
}

TEST(ConfigTest, ActionTemplatesUseKnownVariables) {
  auto p = ParseConfig(R"({"barriers": {"b": {"members": ["s/{date}/x"], "on_complete": [
      {"type": "manifest", "key": "ready/{date}/{generation}.json"},
      {"type": "manifest", "key": "ready/{day}.json"},
      {"type": "exec", "command": ["load", "{date}", "{nope}"]}]}}})");
  EXPECT_EQ(p.errors.size(), 2u) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "on_complete[1].key", "unknown variable {day}")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "on_complete[2].command", "unknown variable {nope}")) << p.ErrorText();
}

TEST(ConfigTest, Durations) {
  EXPECT_EQ(*ParseDuration("90s"), 90000);
  EXPECT_EQ(*ParseDuration("15m"), 900000);
  EXPECT_EQ(*ParseDuration("6h"), 21600000);
  EXPECT_EQ(*ParseDuration("2d"), 172800000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5400000);
  EXPECT_EQ(*ParseDuration("500ms"), 500);
  for (std::string bad : {"", "0s", "5", "s", "5x", "-5s", "5 s", "99999999999d"}) EXPECT_FALSE(ParseDuration(bad)) << bad;
  EXPECT_EQ(FormatDuration(5400000), "1h30m");
}

TEST(ConfigTest, EventNames) {
  EXPECT_TRUE(EventNameMatches("ObjectCreated:*", "ObjectCreated:Put"));
  EXPECT_TRUE(EventNameMatches("ObjectCreated:*", "s3:ObjectCreated:CompleteMultipartUpload"));
  EXPECT_TRUE(EventNameMatches("s3:ObjectCreated:Put", "ObjectCreated:Put"));
  EXPECT_FALSE(EventNameMatches("ObjectCreated:*", "ObjectRemoved:Delete"));
  EXPECT_FALSE(EventNameMatches("ObjectCreated:Put", "ObjectCreated:Copy"));
}

}  // namespace
}  // namespace eb
