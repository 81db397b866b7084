// The AWS actions over scripted answers: retries and backoff as for S3, error
// mapping per protocol, PutEvents' per-entry failures, StartExecution's
// idempotent repeat, the manifest on S3, delegation of everything else, the
// execution-name mapping, endpoints and regions. No network, no sleeping.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "actions/aws_actions.h"
#include "actions/aws_api_calls.h"
#include "fakes/fake_http.h"
#include "fakes/recording_runner.h"
#include "fakes/sample_trip.h"

namespace eb {
namespace {

using test::MakeResponse;
using test::ScriptedHttp;

const aws::Credentials kCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", ""};

using test::RecordingRunner;

std::map<std::string, std::string> Fields(const ActionReport& report) {
  return {report.fields.begin(), report.fields.end()};
}

ActionSpec Action(std::string type, std::map<std::string, std::string> fields) {
  ActionSpec a;
  a.type = std::move(type);
  a.fields = std::move(fields);
  return a;
}

const ActionSpec kSns = Action("sns", {{"topic_arn", "arn:aws:sns:eu-west-1:123456789012:t"}});
const ActionSpec kBus = Action("eventbridge", {});
const ActionSpec kSfn =
    Action("stepfunctions", {{"state_machine_arn", "arn:aws:states:eu-west-1:1:stateMachine:m"}});

class AwsActionsTest : public ::testing::Test {
 protected:
  AwsActionsTest()
      : services_(kCreds, nullptr, http_, clock_, aws::RetryPolicy{},
                  {[this](TimeMs ms) {
                     sleeps_.push_back(ms);
                     clock_.Advance(1000 + ms);
                   },
                   [] { return 1.0; }}),
        runner_(services_, nullptr, "us-east-1", fallback_, log_) {}

  ScriptedHttp http_;
  FakeClock clock_{1'795'000'000'000};
  std::vector<TimeMs> sleeps_;
  aws::ServiceClient services_;
  RecordingRunner fallback_;
  Logger log_{nullptr, Logger::Format::kJson, &clock_};
  AwsActionRunner runner_;
};

TEST_F(AwsActionsTest, ServerErrorsAndThrottlingAreRetriedWithBackoffThenSucceed) {
  http_.Push(MakeResponse(503, ""));
  http_.Push(MakeResponse(400,
                          "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                          "<Message>Rate exceeded</Message></Error></ErrorResponse>"));
  http_.Push(Status::Unavailable("connection reset"));
  http_.Push(MakeResponse(200, "<PublishResponse/>"));
  ASSERT_TRUE(runner_.Run(kSns, test::SampleTrip()).ok());
  EXPECT_EQ(http_.calls(), 4u);
  EXPECT_EQ(sleeps_, (std::vector<TimeMs>{25, 50, 100})) << "full-jitter caps, as for S3";
  auto sent = http_.requests();
  auto date = [](const http::Request& r) {
    for (const auto& [n, v] : r.headers) {
      if (n == "x-amz-date") return v;
    }
    return std::string();
  };
  EXPECT_NE(date(sent[0]), date(sent[3])) << "re-signed each attempt: the date moves on";
}

TEST_F(AwsActionsTest, JsonThrottlingIsRetriedAndGivesUpAfterMaxAttempts) {
  http_.SetFallback(MakeResponse(
      400, R"({"__type":"com.amazonaws.sqs#ThrottlingException","message":"slow down"})"));
  Status s = runner_.Run(Action("sqs", {{"queue_url", "https://sqs.us-east-1.amazonaws.com/1/q"}}),
                         test::SampleTrip());
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_EQ(http_.calls(), 6u);
  EXPECT_NE(s.message().find("ThrottlingException: slow down"), std::string::npos) << s.ToString();
}

TEST_F(AwsActionsTest, AccessDeniedStopsAtOnceAndNamesThePermission) {
  http_.Push(MakeResponse(400, R"({"__type":"AccessDeniedException","Message":"not allowed"})",
                          {{"x-amzn-requestid", "r-9"}}));
  Status s = runner_.Run(kSfn, test::SampleTrip());
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(http_.calls(), 1u);
  EXPECT_NE(s.message().find("states:StartExecution"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("r-9"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find(kCreds.secret_access_key), std::string::npos);
}

TEST_F(AwsActionsTest, LambdaErrorTypeHeaderIsRead) {
  http_.Push(MakeResponse(404, R"({"Type":"User","Message":"Function not found: x"})",
                          {{"x-amzn-errortype", "ResourceNotFoundException:http://internal"}}));
  Status s = runner_.Run(Action("lambda", {{"function", "x"}}), test::SampleTrip());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("ResourceNotFoundException: Function not found"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(http_.calls(), 1u);
}

TEST_F(AwsActionsTest, PutEventsFailedEntryIsRetriedWhenThrottledAndFatalOtherwise) {
  http_.Push(MakeResponse(200, R"({"FailedEntryCount":1,"Entries":[{"ErrorCode":
      "ThrottlingException","ErrorMessage":"later"}]})"));
  http_.Push(MakeResponse(200, R"({"FailedEntryCount":0,"Entries":[{"EventId":"e"}]})"));
  EXPECT_TRUE(runner_.Run(kBus, test::SampleTrip()).ok());
  EXPECT_EQ(http_.calls(), 2u);

  http_.Push(MakeResponse(200, R"({"FailedEntryCount":1,"Entries":[{"ErrorCode":
      "MalformedDetail","ErrorMessage":"Detail is malformed."}]})"));
  Status s = runner_.Run(kBus, test::SampleTrip());
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("MalformedDetail"), std::string::npos) << s.ToString();
  EXPECT_EQ(http_.calls(), 3u) << "not retried";
}

TEST_F(AwsActionsTest, StartExecutionRepeatIsDone) {
  http_.Push(MakeResponse(400, R"({"__type":"ExecutionAlreadyExists","message":"exists"})"));
  EXPECT_TRUE(runner_.Run(kSfn, test::SampleTrip()).ok());
  EXPECT_EQ(http_.calls(), 1u);
  http_.Push(MakeResponse(400, R"({"__type":"InvalidName","message":"bad"})"));
  EXPECT_EQ(runner_.Run(kSfn, test::SampleTrip()).code(), Code::kInvalidArgument);
}

TEST_F(AwsActionsTest, OtherActionsGoToTheFallback) {
  for (const char* type : {"exec", "webhook", "manifest"}) {
    EXPECT_TRUE(runner_.Run(Action(type, {{"key", "k"}}), test::SampleTrip()).ok());
  }
  EXPECT_EQ(fallback_.ran, (std::vector<std::string>{"exec", "webhook", "manifest"}))
      << "without an S3 client, manifests are the fallback's";
  EXPECT_EQ(http_.calls(), 0u);
}

TEST_F(AwsActionsTest, ReportsReachTheDoneRecordFromServicesAndFromTheFallback) {
  auto ok = MakeResponse(200, "<PublishResponse/>");
  ok.headers.emplace_back("x-amzn-requestid", "f187a3c1-1c2e-5b4e-9b0e-8f0c1e0d2a11");
  http_.Push(ok);
  ActionReport sns;
  ASSERT_TRUE(runner_.RunReporting(kSns, test::SampleTrip(), &sns).ok());
  EXPECT_EQ(Fields(sns), (std::map<std::string, std::string>{
                             {"http_status", "200"},
                             {"request_id", "f187a3c1-1c2e-5b4e-9b0e-8f0c1e0d2a11"}}));
  ActionReport exec;
  ASSERT_TRUE(runner_.RunReporting(Action("exec", {}), test::SampleTrip(), &exec).ok());
  EXPECT_EQ(Fields(exec), (std::map<std::string, std::string>{{"ran_by", "fallback"}}));

  // NewAwsActionRunner (what handle, serve and the Lambda function run) passes them on too.
  auto owned = NewAwsActionRunner([](const std::string&) { return std::nullopt; }, nullptr,
                                  fallback_, log_);
  ActionReport through;
  ASSERT_TRUE(owned->RunReporting(Action("webhook", {}), test::SampleTrip(), &through).ok());
  EXPECT_EQ(Fields(through), (std::map<std::string, std::string>{{"ran_by", "fallback"}}));
}

TEST_F(AwsActionsTest, BadTargetsAreRefusedBeforeAnyRequest) {
  EXPECT_EQ(runner_.Run(Action("sns", {{"topic_arn", "ready"}}), test::SampleTrip()).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(runner_.Run(Action("sqs", {{"queue_url", "ready"}}), test::SampleTrip()).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(runner_
                .Run(Action("sqs", {{"queue_url", "https://x/1/q"}, {"region", "EU WEST"}}),
                     test::SampleTrip())
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(http_.calls(), 0u);
}

TEST(AwsManifest, WrittenToTheDataBucketOrTheNamedOne) {
  test::FakeS3 s3http(kCreds, "us-east-1", "data");
  FakeClock clock;
  aws::S3Config config;
  config.scheme = "http";
  config.host = "127.0.0.1:9000";
  config.path_style = true;
  config.credentials = kCreds;
  aws::S3Client s3(config, s3http, clock);
  ScriptedHttp none;
  aws::ServiceClient services(kCreds, nullptr, none, clock);
  RecordingRunner fallback;
  Logger log(nullptr, Logger::Format::kJson, &clock);
  AwsActionRunner runner(services, &s3, "us-east-1", fallback, log);

  TripRecord trip = test::SampleTrip();
  ActionReport report;
  ASSERT_TRUE(
      runner.RunReporting(Action("manifest", {{"key", "ready/{date}/_SUCCESS.json"}}), trip, &report)
          .ok());
  EXPECT_EQ(Fields(report), (std::map<std::string, std::string>{
                                {"key", "s3://data/ready/2026-11-24/_SUCCESS.json"}}));
  auto objects = s3http.objects();
  ASSERT_EQ(objects.count("ready/2026-11-24/_SUCCESS.json"), 1u);
  EXPECT_EQ(objects["ready/2026-11-24/_SUCCESS.json"], ManifestJson(trip));
  EXPECT_TRUE(fallback.ran.empty());

  Status other = runner.Run(Action("manifest", {{"key", "m.json"}, {"bucket", "elsewhere"}}), trip);
  EXPECT_FALSE(other.ok()) << "FakeS3 holds only 'data': the named bucket was used";

  trip.arrivals.push_back(trip.arrivals[0]);
  trip.arrivals.back().arrival.bucket = "other";
  Status mixed = runner.Run(Action("manifest", {{"key", "m.json"}}), trip);
  EXPECT_EQ(mixed.code(), Code::kInvalidArgument);
  EXPECT_NE(mixed.message().find("\"bucket\""), std::string::npos) << mixed.ToString();
}

TEST(AwsManifest, MissingCredentialsFailOnlyAwsActions) {
  RecordingRunner fallback;
  FakeClock clock;
  Logger log(nullptr, Logger::Format::kJson, &clock);
  auto runner =
      NewAwsActionRunner([](const std::string&) { return std::nullopt; }, nullptr, fallback, log);
  Status s = runner->Run(kSns, test::SampleTrip());
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << s.ToString();
  EXPECT_TRUE(runner->Run(Action("exec", {}), test::SampleTrip()).ok());
  EXPECT_EQ(fallback.ran, std::vector<std::string>{"exec"});
}

TEST(StepFunctionsName, ValidDeterministicAndDistinct) {
  const std::regex valid("[0-9A-Za-z_-]{1,80}");
  std::set<std::string> names;
  const std::vector<std::string> keys = {"sales/2026-11-24/1",
                                         "sales/2026-11-24/2",
                                         "sales-2026-11-24-1",
                                         "sales/2026-11-24,eu%2Fw/1",
                                         "a.b/_/1",
                                         "a_b/_/1",
                                         "a-b/_/1",
                                         std::string(200, 'x') + "/_/1",
                                         std::string(200, 'x') + "/_/2",
                                         "ü😀/{}[]?*\"#%\\^|~`$&,;:/ \t\n/7"};
  for (const auto& key : keys) {
    std::string name = StepFunctionsExecutionName(key);
    EXPECT_TRUE(std::regex_match(name, valid)) << key << " -> " << name;
    EXPECT_EQ(name, StepFunctionsExecutionName(key));
    names.insert(name);
  }
  EXPECT_EQ(names.size(), keys.size()) << "different keys, different names";
  EXPECT_EQ(StepFunctionsExecutionName("sales/2026-11-24/1").rfind("sales-2026-11-24-1-", 0), 0u)
      << "readable";
}

TEST(AwsEndpoints, ServiceOverrideThenGlobalThenRegional) {
  aws::ServiceId sfn{"states", "states", "SFN"};
  std::map<std::string, std::string> vars;
  EnvLookup env = [&](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  auto e = aws::ResolveEndpoint(sfn, "eu-west-1", env);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->scheme + "://" + e->host, "https://states.eu-west-1.amazonaws.com");
  EXPECT_EQ(aws::ResolveEndpoint(sfn, "cn-north-1", env)->host,
            "states.cn-north-1.amazonaws.com.cn");
  vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
  EXPECT_EQ(aws::ResolveEndpoint(sfn, "eu-west-1", env)->host, "127.0.0.1:4566");
  vars["AWS_ENDPOINT_URL_SFN"] = "http://localhost:8083/";
  EXPECT_EQ(aws::ResolveEndpoint(sfn, "eu-west-1", env)->host, "localhost:8083");
  EXPECT_EQ(aws::DefaultRegion(env), "us-east-1");
  vars["AWS_DEFAULT_REGION"] = "eu-west-3";
  EXPECT_EQ(aws::DefaultRegion(env), "eu-west-3");
  vars["AWS_REGION"] = "ap-south-1";
  EXPECT_EQ(aws::DefaultRegion(env), "ap-south-1");
}

TEST(AwsApiCalls, EveryActionTypeHasItsCallInTheTable) {
  std::map<std::string, std::string> expected = {{"eventbridge", "PutEvents"},
                                                 {"sns", "Publish"},
                                                 {"sqs", "SendMessage"},
                                                 {"lambda", "Invoke"},
                                                 {"stepfunctions", "StartExecution"}};
  for (const auto& [type, api] : expected) {
    EXPECT_TRUE(IsAwsServiceAction(type));
    auto req = BuildAwsActionRequest(
        Action(type, {{"topic_arn", "arn:aws:sns:r:1:t"},
                      {"queue_url", "https://sqs.r.amazonaws.com/1/q"},
                      {"function", "f"},
                      {"state_machine_arn", "arn:aws:states:r:1:stateMachine:m"}}),
        test::SampleTrip(), "us-east-1");
    ASSERT_TRUE(req.ok()) << type;
    EXPECT_EQ(req->operation, api);
    EXPECT_NE(std::string(IamActionFor((type + " action").c_str(), api.c_str())), "") << type;
  }
  EXPECT_STREQ(IamActionFor("manifest action", "PutObject"), "s3:PutObject");
}

}  // namespace
}  // namespace eb
