// Issue 14: manifests of any size. A 2,000-object manifest (about 440 KB) is
// over every AWS target's payload limit: each action writes the full manifest
// to S3 first and sends a bounded summary naming it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "actions/aws_actions.h"
#include "base/percent.h"
#include "fakes/fake_http.h"
#include "fakes/recording_runner.h"
#include "fakes/sample_trip.h"

namespace eb {
namespace {

using nlohmann::json;
using test::MakeResponse;

const aws::Credentials kCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", ""};

ActionSpec Action(std::string type, std::map<std::string, std::string> fields) {
  ActionSpec a;
  a.type = std::move(type);
  a.fields = std::move(fields);
  return a;
}

TripRecord BigTrip(size_t objects) {
  TripRecord trip = test::SampleTrip();
  ConsumedArrival c = trip.arrivals[0];
  trip.arrivals.clear();
  for (size_t i = 0; i < objects; ++i) {
    c.id = "id-" + std::to_string(i);
    c.member = "sales/{date}/part-" + std::to_string(i) + ".csv";
    c.arrival.key = "sales/2026-11-24/part-" + std::to_string(i) + ".csv";
    c.arrival.etag = "\"0123456789abcdef0123456789abcdef\"";
    c.arrival.version_id = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY";
    c.arrival.size = 1234567;
    c.arrival.event_time = "2026-11-24T06:00:00.000Z";
    trip.arrivals.push_back(c);
  }
  return trip;
}

// The message a request carries, as its wire format holds it.
std::string MessageOf(const std::string& type, const http::Request& r) {
  if (type == "sns") {
    size_t start = r.body.find("&Message=");
    size_t end = r.body.find('&', start + 1);
    return *FormUrlDecode(r.body.substr(start + 9, end - start - 9));
  }
  if (type == "lambda") return r.body;
  json body = json::parse(r.body);
  if (type == "eventbridge") return body["Entries"][0]["Detail"];
  if (type == "sqs") return body["MessageBody"];
  return body["input"];  // stepfunctions
}

class PayloadLimitsTest : public ::testing::Test {
 protected:
  PayloadLimitsTest()
      : s3http_(kCreds, "us-east-1", "data"),
        s3_(S3Config(), s3http_, clock_),
        services_(kCreds, nullptr, http_, clock_),
        runner_(services_, &s3_, "eu-west-1", fallback_, log_) {}

  static aws::S3Config S3Config() {
    aws::S3Config config;
    config.scheme = "http";
    config.host = "127.0.0.1:9000";
    config.path_style = true;
    config.credentials = kCreds;
    return config;
  }

  FakeClock clock_{1'795'000'000'000};
  test::FakeS3 s3http_;
  aws::S3Client s3_;
  test::ScriptedHttp http_;
  aws::ServiceClient services_;
  test::RecordingRunner fallback_;
  Logger log_{nullptr, Logger::Format::kJson, &clock_};
  AwsActionRunner runner_;
};

const std::vector<ActionSpec>& EveryAwsAction() {
  static const std::vector<ActionSpec> actions = {
      Action("eventbridge", {{"event_bus", "arn:aws:events:eu-west-1:123456789012:event-bus/b"}}),
      Action("sns", {{"topic_arn", "arn:aws:sns:eu-west-1:123456789012:t"}}),
      Action("sns", {{"topic_arn", "arn:aws:sns:eu-west-1:123456789012:t.fifo"}}),
      Action("sqs", {{"queue_url", "https://sqs.eu-west-1.amazonaws.com/123456789012/q"}}),
      Action("lambda", {{"function", "arn:aws:lambda:eu-west-1:123456789012:function:f"}}),
      Action("stepfunctions", {{"state_machine_arn", "arn:aws:states:eu-west-1:1:stateMachine:m"}}),
  };
  return actions;
}

http::Response Ok(const std::string& type) {
  if (type == "eventbridge")
    return MakeResponse(200, R"({"FailedEntryCount":0,"Entries":[{"EventId":"e"}]})");
  if (type == "lambda") return MakeResponse(202);
  if (type == "sns") return MakeResponse(200, "<PublishResponse/>");
  return MakeResponse(200, "{}");
}

TEST_F(PayloadLimitsTest, TwoThousandObjectsGoAsASummaryNamingTheFullManifest) {
  runner_.set_overflow({"data", "state/.eventbarrier/_manifests/"});
  const TripRecord trip = BigTrip(2000);
  const std::string full = ManifestJson(trip);
  ASSERT_GT(full.size(), 400'000u) << "the case is a manifest well over every limit";
  const std::string location =
      "s3://data/state/.eventbarrier/_manifests/sales/2026-11-24/0000000001.json";
  for (const ActionSpec& action : EveryAwsAction()) {
    SCOPED_TRACE(action.type + " " + action.fields.begin()->second);
    size_t before = http_.requests().size();
    http_.Push(Ok(action.type));
    ActionReport report;
    Status s = runner_.RunReporting(action, trip, &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(http_.requests().size(), before + 1);
    const http::Request sent = http_.requests().back();
    EXPECT_LE(sent.body.size(), AwsPayloadLimit(action.type))
        << "the whole request body is under the limit";
    std::string message = MessageOf(action.type, sent);
    EXPECT_LE(AwsPayloadSize(action, trip, message), AwsPayloadLimit(action.type));
    json summary = json::parse(message);
    EXPECT_EQ(summary["truncated"], true);
    EXPECT_EQ(summary["idempotency_key"], "sales/2026-11-24/1");
    EXPECT_EQ(summary["barrier"], "sales");
    EXPECT_EQ(summary["instance"], "2026-11-24");
    EXPECT_EQ(summary["generation"], 1);
    EXPECT_EQ(summary["status"], "complete");
    EXPECT_EQ(summary["object_count"], 2000);
    EXPECT_EQ(summary["manifest"], location);
    EXPECT_EQ(summary["manifest_bytes"], json::parse(full).dump().size());
    EXPECT_FALSE(summary.contains("objects"));
    bool reported = false;
    for (const auto& [k, v] : report.fields)
      reported = reported || (k == "manifest" && v == location);
    EXPECT_TRUE(reported) << "the .done record says where the manifest went";
    // The location it names holds the whole manifest.
    auto objects = s3http_.objects();
    ASSERT_EQ(objects.count("state/.eventbarrier/_manifests/sales/2026-11-24/0000000001.json"), 1u);
    json stored =
        json::parse(objects["state/.eventbarrier/_manifests/sales/2026-11-24/0000000001.json"]);
    EXPECT_EQ(stored["objects"].size(), 2000u);
    EXPECT_EQ(stored, json::parse(full));
  }
}

TEST_F(PayloadLimitsTest, AManifestThatFitsGoesInlineAndWritesNothing) {
  runner_.set_overflow({"data", "state/.eventbarrier/_manifests/"});
  const TripRecord trip = BigTrip(100);
  for (const ActionSpec& action : EveryAwsAction()) {
    http_.Push(Ok(action.type));
    ASSERT_TRUE(runner_.Run(action, trip).ok()) << action.type;
    json message = json::parse(MessageOf(action.type, http_.requests().back()));
    EXPECT_EQ(message["objects"].size(), 100u) << action.type;
    EXPECT_FALSE(message.contains("truncated")) << action.type;
  }
  EXPECT_TRUE(s3http_.objects().empty());
}

TEST_F(PayloadLimitsTest, TheLimitIsTheTargetsAsItCountsIt) {
  // Just under and just over each limit, as the target counts: the summary
  // takes over exactly at the limit.
  for (const ActionSpec& action : EveryAwsAction()) {
    TripRecord trip = BigTrip(1);
    std::string inline_manifest = json::parse(ManifestJson(trip)).dump();
    size_t base = AwsPayloadSize(action, trip, inline_manifest);
    size_t limit = AwsPayloadLimit(action.type);
    ASSERT_GT(limit, 200'000u) << action.type;
    for (long delta : {0L, 1L}) {
      trip.reason = std::string(limit - base + delta, 'r');  // carried only by forced trips
      trip.status = TripStatus::kForced;
      std::string m = json::parse(ManifestJson(trip)).dump();
      size_t size = AwsPayloadSize(action, trip, m);
      runner_.set_overflow({"data", "p/_manifests/"});
      http_.Push(Ok(action.type));
      ASSERT_TRUE(runner_.Run(action, trip).ok()) << action.type;
      json sent = json::parse(MessageOf(action.type, http_.requests().back()));
      EXPECT_EQ(sent.contains("truncated"), size > limit)
          << action.type << " " << size << " vs " << limit;
    }
  }
}

TEST_F(PayloadLimitsTest, WithoutAnS3StateAnOversizedMessageFailsSayingWhy) {
  const TripRecord trip = BigTrip(2000);
  for (const ActionSpec& action : EveryAwsAction()) {
    Status s = runner_.Run(action, trip);
    EXPECT_EQ(s.code(), Code::kFailedPrecondition) << action.type;
    EXPECT_NE(s.message().find("exceeds the target's limit"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("not on S3"), std::string::npos) << s.ToString();
  }
  EXPECT_EQ(http_.requests().size(), 0u) << "nothing sent that the target would refuse";
}

}  // namespace
}  // namespace eb
