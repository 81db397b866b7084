// Runs the eventbarrier binary: `events decode` output and `handle`'s SQS
// batchItemFailures and scheduled events, as a user (or the Lambda) sees them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/temp_dir.h"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::vector<json> lines;  // stdout, one JSON value per line
};

RunResult RunBinary(const std::string& args) {
  RunResult run;
  std::string command = std::string(EB_BINARY) + " " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    if (end > start) run.lines.push_back(json::parse(out.substr(start, end - start)));
    start = end + 1;
  }
  return run;
}

class EventsCliTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(dir_ / "state"); }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  static std::string S3Notification(const std::string& key) {
    return json{
        {"Records",
         json::array({{{"eventSource", "aws:s3"},
                       {"eventName", "ObjectCreated:Put"},
                       {"eventTime", "2024-01-01T00:00:00.000Z"},
                       {"s3",
                        {{"bucket", {{"name", "in"}}},
                         {"object",
                          {{"key", key}, {"size", 3}, {"eTag", "abc"}, {"sequencer", "01"}}}}}}})}}
        .dump();
  }

  static std::string SqsBatch(const std::vector<std::pair<std::string, std::string>>& messages) {
    json records = json::array();
    for (const auto& [id, body] : messages) {
      records.push_back({{"messageId", id}, {"eventSource", "aws:sqs"}, {"body", body}});
    }
    return json{{"Records", records}}.dump();
  }

  eb::test::TempDir dir_{"events-cli"};
};

TEST_F(EventsCliTest, DecodePrintsOneLinePerRecordAndFailure) {
  std::string file = Write("batch.json", SqsBatch({{"m-1", S3Notification("a+b.csv")},
                                                   {"m-2", S3Notification("bad%zz")},
                                                   {"m-3", R"({"Event":"s3:TestEvent"})"}}));
  RunResult run = RunBinary("events decode " + file);
  EXPECT_EQ(run.exit_code, 1);
  ASSERT_EQ(run.lines.size(), 3u);
  EXPECT_EQ(run.lines[0].at("kind"), "arrival");
  EXPECT_EQ(run.lines[0].at("key"), "a b.csv");
  EXPECT_EQ(run.lines[0].at("bucket"), "in");
  EXPECT_EQ(run.lines[0].at("size"), 3);
  EXPECT_EQ(run.lines[0].at("message_id"), "m-1");
  EXPECT_EQ(run.lines[1].at("kind"), "test");
  EXPECT_EQ(run.lines[2].at("kind"), "error");
  EXPECT_EQ(run.lines[2].at("message_id"), "m-2");
  EXPECT_EQ(run.lines[2].at("error"),
            "body.Records[0].s3.object.key: invalid percent-escape at byte 3");
}

TEST_F(EventsCliTest, DecodeKeyDecodingOption) {
  std::string file = Write("one.json", S3Notification("a+b.csv"));
  RunResult raw = RunBinary("events decode --key-decoding raw " + file);
  EXPECT_EQ(raw.exit_code, 0);
  ASSERT_EQ(raw.lines.size(), 1u);
  EXPECT_EQ(raw.lines[0].at("key"), "a+b.csv");
  RunResult bad = RunBinary("events decode " + Write("bad.json", "[1]"));
  EXPECT_EQ(bad.exit_code, 1);
  ASSERT_EQ(bad.lines.size(), 1u);
  EXPECT_EQ(bad.lines[0].at("error"), "payload: expected a JSON object, got a list");
}

TEST_F(EventsCliTest, HandleReportsBatchItemFailuresAndProcessesTheRest) {
  std::string config = Write("barriers.json", R"({"pair": ["in/a.csv", "in/b.csv"]})");
  std::string state = (dir_ / "state").string();
  std::string batch = Write("batch.json", SqsBatch({{"m-1", S3Notification("in/a.csv")},
                                                    {"m-2", S3Notification("in/%zz")},
                                                    {"m-3", S3Notification("in/b.csv")}}));
  RunResult run = RunBinary("handle --config " + config + " --state " + state + " " + batch);
  EXPECT_EQ(run.exit_code, 1);  // m-2 would be retried
  ASSERT_EQ(run.lines.size(), 1u);
  const json& line = run.lines[0];
  EXPECT_EQ(line.at("batchItemFailures"), json::parse(R"([{"itemIdentifier":"m-2"}])"));
  EXPECT_EQ(line.at("arrivals"), 2);
  ASSERT_EQ(line.at("trips").size(), 1u);  // the other two messages completed the barrier
  EXPECT_EQ(line.at("trips")[0].at("barrier"), "pair");

  std::string good = Write("good.json", SqsBatch({{"m-9", S3Notification("in/x.csv")}}));
  RunResult ok = RunBinary("handle --config " + config + " --state " + state + " " + good);
  EXPECT_EQ(ok.exit_code, 0);
  ASSERT_EQ(ok.lines.size(), 1u);
  EXPECT_EQ(ok.lines[0].at("batchItemFailures"), json::array());
}

TEST_F(EventsCliTest, HandleSweepsOnAScheduledEventAndIgnoresTestEvents) {
  std::string config = Write("barriers.json", R"({"pair": ["in/a.csv", "in/b.csv"]})");
  std::string state = (dir_ / "state").string();
  std::string schedule = Write("schedule.json",
                               R"({"version":"0","id":"1","detail-type":"Scheduled Event",
                                   "source":"aws.events","time":"2024-01-01T00:00:00Z",
                                   "detail":{}})");
  std::string test = Write("test.json", R"({"Service":"Amazon S3","Event":"s3:TestEvent"})");
  RunResult run =
      RunBinary("handle --config " + config + " --state " + state + " " + schedule + " " + test);
  EXPECT_EQ(run.exit_code, 0);
  ASSERT_EQ(run.lines.size(), 2u);
  EXPECT_EQ(run.lines[0].at("swept"), true);
  EXPECT_EQ(run.lines[0].at("ok"), true);
  EXPECT_FALSE(run.lines[1].contains("swept"));
  EXPECT_EQ(run.lines[1].at("ignored"), 1);
  EXPECT_FALSE(run.lines[1].contains("batchItemFailures"));
}

TEST_F(EventsCliTest, HandleCountsIgnoredRecordsByRule) {
  std::string config = Write("barriers.json", R"({"pair": ["in/a.csv", "in/b.csv"], "job": ["out"]})");
  std::string state = (dir_ / "state").string();
  std::string side = Write("side.json", S3Notification("out/_temporary/0/part-0"));
  std::string marker = Write("marker.json", S3Notification("out/"));
  RunResult run = RunBinary("handle --config " + config + " --state " + state + " " + side + " " + marker);
  EXPECT_EQ(run.exit_code, 0);
  ASSERT_EQ(run.lines.size(), 2u);
  EXPECT_EQ(run.lines[0].at("ignored"), 1);
  EXPECT_EQ(run.lines[0].at("ignored_by"), json::parse(R"({"_*": 1})"));
  EXPECT_EQ(run.lines[1].at("ignored_by"), json::parse(R"({"**/": 1})"));
}

// `validate` prints each barrier's effective rules (plain text, not JSON lines).
TEST_F(EventsCliTest, ValidatePrintsTheEffectiveRules) {
  std::string config = Write("barriers.json", R"({"ignore_extra": ["*.inprogress"], "barriers": {
      "spark": {"count": 2, "prefix": "out/{run}", "min_size": 1},
      "raw": {"members": ["raw"], "ignore": [], "stable_for": "30s"}}})");
  std::string command = std::string(EB_BINARY) + " validate " + config + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  int status = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  for (const char* want : {"ignore (defaults + top-level ignore_extra): _* .* **/", "*.inprogress\n",
                           "min_size: 1 bytes", "ignore (barrier ignore): none", "stable_for: 30s",
                           "events: ObjectCreated:* (ObjectCreated:Put, ObjectCreated:Post",
                           "_*  Hadoop hidden segment"}) {
    EXPECT_NE(out.find(want), std::string::npos) << "missing '" << want << "' in:\n" << out;
  }
}

// Issue 14: for each AWS action, `validate` says up to what size the manifest
// goes inline and where a larger one is written, and warns when a barrier's
// manifest is bound to exceed the limit with no S3 state to put it in.
TEST_F(EventsCliTest, ValidateSaysWhereManifestsOverTheLimitGo) {
  auto run = [&](const std::string& state) {
    std::string config =
        Write("limits.json", R"({"state": {"url": ")" + state + R"("}, "barriers": {
        "wide": {"count": 2000, "prefix": "in/{run}",
                 "on_complete": [{"type": "sqs", "queue_url": "https://sqs.eu-west-1.amazonaws.com/1/q"}]}}})");
    std::string command = std::string(EB_BINARY) + " validate " + config + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    ::pclose(pipe);
    return out;
  };
  std::string s3 = run("s3://state-bucket/p");
  EXPECT_NE(s3.find("on_complete[0] (sqs): inline up to 256 KiB (about 1191 objects)"),
            std::string::npos)
      << s3;
  EXPECT_NE(
      s3.find("written first to "
              "s3://state-bucket/p/.eventbarrier/_manifests/wide/<instance>/<generation>.json"),
      std::string::npos)
      << s3;
  EXPECT_EQ(s3.find("warning"), std::string::npos) << s3;
  std::string folder = run("file:///tmp/state");
  EXPECT_NE(
      folder.find(
          "warning: on_complete[0]: 2000 objects exceed the limit and the state is not on S3"),
      std::string::npos)
      << folder;
}

}  // namespace
