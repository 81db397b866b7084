// `eventbarrier handle` runs AWS actions: with AWS_ENDPOINT_URL pointing at a
// loopback server, a trip publishes to SNS and puts an EventBridge event, each
// once, carrying the idempotency key; without credentials the trip is not
// done and the command says why.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fakes/loopback_server.h"
#include "fakes/temp_dir.h"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

class AwsActionsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "state");
    Write("config.json", R"({"barriers": {"daily": {
        "members": ["in/{date}/a.csv", "in/{date}/b.csv"],
        "on_complete": [{"type": "sns", "topic_arn": "arn:aws:sns:eu-west-1:123456789012:ready"},
                        {"type": "eventbridge"}]}}})");
    for (const char* name : {"a", "b"}) {
      Write(
          std::string(name) + ".json",
          json{{"Records", json::array({{{"eventSource", "aws:s3"},
                                         {"eventName", "ObjectCreated:Put"},
                                         {"eventTime", "2026-11-24T05:00:00.000Z"},
                                         {"s3",
                                          {{"bucket", {{"name", "data"}}},
                                           {"object",
                                            {{"key", std::string("in/2026-11-24/") + name + ".csv"},
                                             {"size", 3},
                                             {"eTag", "abc"},
                                             {"sequencer", "01"}}}}}}})}}
              .dump());
    }
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  // Runs handle on both payloads with `env` prefixed; returns the exit code.
  int Handle(const std::string& env, std::string* out) {
    std::string cmd = "env -u AWS_PROFILE " + env + " " + EB_BINARY + " handle --config " +
                      (dir_ / "config.json").string() + " --state " + (dir_ / "state").string() +
                      " " + (dir_ / "a.json").string() + " " + (dir_ / "b.json").string() + " 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out->append(buf, n);
    int status = ::pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  eb::test::TempDir dir_{"aws-cli"};
};

TEST_F(AwsActionsCliTest, TripPublishesToSnsAndEventBridgeOnce) {
  eb::test::LoopbackServer server([](const eb::test::CapturedRequest& r) {
    eb::http::Response res;
    res.status = 200;
    res.body = r.Header("x-amz-target") == "AWSEvents.PutEvents"
                   ? R"({"FailedEntryCount":0,"Entries":[{"EventId":"e"}]})"
                   : "<PublishResponse/>";
    return res;
  });
  ASSERT_TRUE(server.ok());
  std::string out;
  int rc = Handle("AWS_ENDPOINT_URL=" + server.endpoint() +
                      " AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret"
                      " AWS_SESSION_TOKEN= AWS_REGION=eu-west-1",
                  &out);
  ASSERT_EQ(rc, 0) << out;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u) << out;
  EXPECT_NE(requests[0].body.find("Action=Publish"), std::string::npos) << requests[0].body;
  EXPECT_NE(requests[0].body.find("daily%2F2026-11-24%2F1"), std::string::npos)
      << "the idempotency key as a message attribute: " << requests[0].body;
  EXPECT_EQ(requests[1].Header("x-amz-target"), "AWSEvents.PutEvents");
  EXPECT_NE(requests[1].body.find("Barrier Tripped"), std::string::npos);
  EXPECT_NE(requests[1].Header("authorization").find("/eu-west-1/events/aws4_request"),
            std::string::npos);
}

// A failing action leaves the trip unfinished, to be re-driven with backoff;
// the arrivals are recorded, so `handle` succeeds and its summary line counts
// the failure (docs/PROTOCOL.md, "Finishing a trip").
TEST_F(AwsActionsCliTest, WithoutCredentialsTheTripStaysUnfinishedAndSaysWhy) {
  std::string out;
  int rc =
      Handle("AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_ENDPOINT_URL=http://127.0.0.1:9", &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"trip_failures\":1"), std::string::npos) << out;
  EXPECT_NE(out.find("AWS_ACCESS_KEY_ID"), std::string::npos) << out;
  int records = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir_ / "state")) {
    std::string path = f.path().string();
    if (path.find("/t/") == std::string::npos) continue;
    ++records;
    EXPECT_EQ(path.find(".done"), std::string::npos) << "the trip must stay unfinished: " << path;
  }
  EXPECT_GT(records, 0) << "the trip was claimed";
}

}  // namespace
