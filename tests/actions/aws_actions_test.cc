// The AWS actions on the wire: each action's request crosses a real loopback
// socket through the curl client; botocore (Debian's python3-botocore,
// botocore_check.py) recomputes every signature and checks every request
// against the service model it ships (required members, types, unknown
// members, its own serialization). Then, per action, the content: the
// manifest, the idempotency key, the execution name.
#include "actions/aws_actions.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "actions/aws_api_calls.h"
#include "base/crypto.h"
#include "fakes/loopback_server.h"
#include "fakes/python.h"
#include "fakes/recording_runner.h"
#include "fakes/vectors.h"
#include "http/http_client.h"

namespace eb {
namespace {

using test::FindBotocorePython;
using test::RunPython;

using nlohmann::json;

using test::RecordingRunner;

TripRecord SampleTrip(TripStatus status = TripStatus::kComplete) {
  TripRecord t;
  t.barrier = "sales";
  t.instance = "2026-11-24,eu%2Fwest";
  t.bindings = {{"date", "2026-11-24"}, {"region", "eu/west"}};
  t.generation = 3;
  t.status = status;
  t.claimed_at = 1'795'000'000'000;
  for (const char* member : {"east.csv", "west.csv"}) {
    ConsumedArrival c;
    c.id = std::string("id-") + member;
    c.member = std::string("sales/{date}/") + member;
    c.arrival.bucket = "data-bucket";
    c.arrival.key = std::string("sales/2026-11-24/") + member;
    c.arrival.etag = "0123456789abcdef";
    c.arrival.size = 42;
    c.arrival.event_time = "2026-11-24T05:00:00.000Z";
    t.arrivals.push_back(c);
  }
  if (status == TripStatus::kTimeout) t.missing = {"sales/2026-11-24/north.csv"};
  return t;
}

ActionSpec Action(std::string type, std::map<std::string, std::string> fields) {
  ActionSpec a;
  a.type = std::move(type);
  a.fields = std::move(fields);
  return a;
}

// What the services answer when all is well.
http::Response Answer(const test::CapturedRequest& r) {
  http::Response res;
  res.status = 200;
  res.headers = {{"x-amzn-RequestId", "req-1"}};
  std::string target = r.Header("x-amz-target");
  if (target == "AWSEvents.PutEvents") {
    res.body = R"({"FailedEntryCount":0,"Entries":[{"EventId":"ev-1"}]})";
  } else if (target == "AmazonSQS.SendMessage") {
    res.body = R"({"MessageId":"m-1","MD5OfMessageBody":"x"})";
  } else if (target == "AWSStepFunctions.StartExecution") {
    res.body = R"({"executionArn":"arn:aws:states:eu-west-1:1:execution:m:n","startDate":1.7E9})";
  } else if (r.target.rfind("/2015-03-31/functions/", 0) == 0) {
    res.status = 202;
  } else {
    res.body =
        "<PublishResponse><PublishResult><MessageId>m-2</MessageId></PublishResult>"
        "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></PublishResponse>";
  }
  return res;
}

struct Expected {
  std::string service, model, operation, region;
};

// Runs botocore_check.py on `requests`; an array of {problems, params}, or
// null if the script printed something else (reported as a failure).
json BotocoreCheck(const std::string& python, const std::vector<test::CapturedRequest>& requests,
                   const std::vector<Expected>& expected, const aws::Credentials& creds) {
  json input = json::array();
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const Expected& e = expected[i];
    json headers = json::array();
    for (const auto& [n, v] : r.headers) headers.push_back({n, v});
    input.push_back({{"method", r.method},
                     {"target", r.target},
                     {"headers", headers},
                     {"body", r.body},
                     {"access_key", creds.access_key_id},
                     {"secret_key", creds.secret_access_key},
                     {"token", creds.session_token},
                     {"region", e.region},
                     {"service", e.service},
                     {"model", e.model},
                     {"operation", e.operation}});
  }
  std::string out = RunPython(
      python, std::string(EB_SOURCE_DIR) + "/tests/actions/botocore_check.py", input.dump());
  json checked = json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!checked.is_array()) {
    ADD_FAILURE() << "botocore_check.py printed: " << out.substr(0, 2000);
    return json::array();
  }
  return checked;
}

// One action per type (FIFO variants too), sent through curl to a loopback
// server, each request checked by botocore and then by content.
void SendEveryActionAndCheck(const aws::Credentials& creds) {
  std::string python = FindBotocorePython();
  if (python.empty()) {
    if (test::InCi())
      FAIL() << "CI=true but no python3 with botocore (apt-get install python3-botocore)";
    GTEST_SKIP() << "python3-botocore not installed: requests not checked against botocore";
  }
  test::LoopbackServer server(Answer);
  ASSERT_TRUE(server.ok());
  EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL") return server.endpoint();
    return std::nullopt;
  };
  auto http = http::NewClient();
  FakeClock clock(1'795'000'123'000);
  aws::ServiceClient services(creds, env, *http, clock);
  RecordingRunner fallback;
  Logger log(nullptr, Logger::Format::kJson, &clock, LogLevel::kError);
  AwsActionRunner runner(services, nullptr, "us-west-2", fallback, log);

  const std::string machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:load";
  std::vector<std::pair<ActionSpec, Expected>> cases = {
      {Action("eventbridge", {}), {"events", "events", "PutEvents", "us-west-2"}},
      {Action("eventbridge",
              {{"event_bus", "arn:aws:events:ap-southeast-2:123456789012:event-bus/pipelines"},
               {"source", "com.example.barrier"}}),
       {"events", "events", "PutEvents", "ap-southeast-2"}},
      {Action("sns", {{"topic_arn", "arn:aws:sns:eu-west-1:123456789012:ready"}}),
       {"sns", "sns", "Publish", "eu-west-1"}},
      {Action("sns", {{"topic_arn", "arn:aws:sns:eu-west-1:123456789012:ready.fifo"}}),
       {"sns", "sns", "Publish", "eu-west-1"}},
      {Action("sqs", {{"queue_url", "https://sqs.eu-central-1.amazonaws.com/123456789012/ready"}}),
       {"sqs", "sqs", "SendMessage", "eu-central-1"}},
      {Action("sqs", {{"queue_url", "https://sqs.eu-central-1.amazonaws.com/123456789012/r.fifo"},
                      {"region", "eu-north-1"}}),
       {"sqs", "sqs", "SendMessage", "eu-north-1"}},
      {Action("lambda", {{"function", "arn:aws:lambda:us-east-2:123456789012:function:load:live"}}),
       {"lambda", "lambda", "Invoke", "us-east-2"}},
      {Action("lambda", {{"function", "load-sales"}}), {"lambda", "lambda", "Invoke", "us-west-2"}},
      {Action("stepfunctions", {{"state_machine_arn", machine}}),
       {"states", "stepfunctions", "StartExecution", "eu-west-1"}},
  };
  for (TripStatus status : {TripStatus::kComplete, TripStatus::kTimeout}) {
    TripRecord trip = SampleTrip(status);
    for (const auto& [action, expected] : cases) {
      Status s = runner.Run(action, trip);
      ASSERT_TRUE(s.ok()) << action.type << ": " << s.ToString();
    }
  }
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2 * cases.size()) << "one request per action, no retries";
  EXPECT_TRUE(fallback.ran.empty());

  std::vector<Expected> expected;
  for (size_t i = 0; i < requests.size(); ++i) expected.push_back(cases[i % cases.size()].second);
  json checked = BotocoreCheck(python, requests, expected, creds);
  ASSERT_EQ(checked.size(), requests.size());

  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& [action, expected] = cases[i % cases.size()];
    TripRecord trip = SampleTrip(i < cases.size() ? TripStatus::kComplete : TripStatus::kTimeout);
    json manifest = json::parse(ManifestJson(trip));
    SCOPED_TRACE("request " + std::to_string(i) + ": " + action.type + " " + requests[i].body);
    for (const auto& p : checked[i]["problems"]) ADD_FAILURE() << p.get<std::string>();
    const json& params = checked[i]["params"];
    const std::string key = "sales/2026-11-24,eu%2Fwest/3";
    ASSERT_EQ(trip.IdempotencyKey(), key);
    EXPECT_NE(IamActionFor((action.type + " action").c_str(), expected.operation.c_str()),
              std::string())
        << "every call the actions make is in kAwsApiCalls";

    if (action.type == "eventbridge") {
      ASSERT_EQ(params["Entries"].size(), 1u);
      const json& entry = params["Entries"][0];
      EXPECT_EQ(entry["DetailType"],
                trip.status == TripStatus::kTimeout ? "Barrier Timed Out" : "Barrier Tripped");
      EXPECT_EQ(json::parse(entry["Detail"].get<std::string>()), manifest);
      EXPECT_EQ(json::parse(entry["Detail"].get<std::string>())["idempotency_key"], key);
      if (action.fields.count("event_bus")) {
        EXPECT_EQ(entry["EventBusName"], action.fields.at("event_bus"));
        EXPECT_EQ(entry["Source"], "com.example.barrier");
      } else {
        EXPECT_FALSE(entry.contains("EventBusName"));
        EXPECT_EQ(entry["Source"], "eventbarrier");
      }
    } else if (action.type == "sns" || action.type == "sqs") {
      const char* body = action.type == "sns" ? "Message" : "MessageBody";
      EXPECT_EQ(json::parse(params[body].get<std::string>()), manifest);
      const json& attrs = params["MessageAttributes"];
      EXPECT_EQ(attrs["idempotency_key"]["StringValue"], key);
      EXPECT_EQ(attrs["idempotency_key"]["DataType"], "String");
      EXPECT_EQ(attrs["barrier"]["StringValue"], "sales");
      EXPECT_EQ(attrs["status"]["StringValue"], TripStatusName(trip.status));
      std::string target =
          action.type == "sns" ? action.fields.at("topic_arn") : action.fields.at("queue_url");
      if (target.ends_with(".fifo")) {
        EXPECT_EQ(params["MessageDeduplicationId"], Sha256Hex(key));
        EXPECT_EQ(params["MessageGroupId"], "sales");
      } else {
        EXPECT_FALSE(params.contains("MessageDeduplicationId"));
      }
    } else if (action.type == "lambda") {
      EXPECT_EQ(params["InvocationType"], "Event");
      EXPECT_EQ(params["FunctionName"], action.fields.at("function"));
      EXPECT_EQ(json::parse(requests[i].body), manifest) << "the payload is the manifest";
    } else if (action.type == "stepfunctions") {
      EXPECT_EQ(params["stateMachineArn"], machine);
      EXPECT_EQ(params["name"], StepFunctionsExecutionName(key));
      EXPECT_EQ(json::parse(params["input"].get<std::string>()), manifest);
    }
  }
}

TEST(AwsActionsWire, EveryActionIsSignedAndShapedAsBotocoreExpects) {
  SendEveryActionAndCheck({"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""});
}

// The check bites: requests spoiled after signing are reported.
TEST(AwsActionsWire, BotocoreCheckCatchesSpoiledRequests) {
  std::string python = FindBotocorePython();
  if (python.empty()) {
    if (test::InCi()) FAIL() << "CI=true but no python3 with botocore";
    GTEST_SKIP() << "python3-botocore not installed";
  }
  test::LoopbackServer server(Answer);
  ASSERT_TRUE(server.ok());
  EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL") return server.endpoint();
    return std::nullopt;
  };
  const aws::Credentials creds{"AKIDEXAMPLE", "secret", ""};
  auto http = http::NewClient();
  FakeClock clock;
  aws::ServiceClient services(creds, env, *http, clock);
  RecordingRunner fallback;
  Logger log(nullptr, Logger::Format::kJson, &clock);
  AwsActionRunner runner(services, nullptr, "us-east-1", fallback, log);
  ASSERT_TRUE(runner
                  .Run(Action("sqs", {{"queue_url", "https://sqs.us-east-1.amazonaws.com/1/q"}}),
                       SampleTrip())
                  .ok());
  ASSERT_TRUE(
      runner.Run(Action("sns", {{"topic_arn", "arn:aws:sns:us-east-1:1:t"}}), SampleTrip()).ok());
  auto sent = server.requests();
  ASSERT_EQ(sent.size(), 2u);
  const test::CapturedRequest sqs = sent[0], sns = sent[1];
  const Expected sqs_e{"sqs", "sqs", "SendMessage", "us-east-1"};
  const Expected sns_e{"sns", "sns", "Publish", "us-east-1"};

  std::vector<std::pair<std::string, std::string>> spoiled;  // what, expected problem
  std::vector<test::CapturedRequest> requests;
  std::vector<Expected> expected;
  auto add = [&](test::CapturedRequest r, const Expected& e, std::string what,
                 std::string problem) {
    requests.push_back(std::move(r));
    expected.push_back(e);
    spoiled.emplace_back(std::move(what), std::move(problem));
  };
  auto with_body = [](test::CapturedRequest r, const json& body) {
    r.body = body.dump();
    return r;
  };
  json body = json::parse(sqs.body);
  add(sqs, {"sqs", "sqs", "SendMessage", "eu-west-1"}, "wrong region in the scope",
      "credential scope");
  json changed = body;
  changed["MessageBody"] = "{}";
  add(with_body(sqs, changed), sqs_e, "body changed after signing", "signature differs");
  json unknown = body;
  unknown["Priority"] = 1;
  add(with_body(sqs, unknown), sqs_e, "an unknown member", "Unknown parameter");
  json missing = body;
  missing.erase("QueueUrl");
  add(with_body(sqs, missing), sqs_e, "a required member missing", "Missing required parameter");
  json wrong_type = body;
  wrong_type["DelaySeconds"] = "soon";
  add(with_body(sqs, wrong_type), sqs_e, "a member of the wrong type", "Invalid type");
  test::CapturedRequest target = sqs;
  for (auto& [n, v] : target.headers) {
    if (n == "x-amz-target") v = "AmazonSQS.SendMessageBatch";
  }
  add(target, sqs_e, "the wrong X-Amz-Target", "X-Amz-Target");
  test::CapturedRequest form = sns;
  form.body += "&MessageStructure2=json";
  add(form, sns_e, "an unknown query parameter", "not a member of Publish");

  json checked = BotocoreCheck(python, requests, expected, creds);
  ASSERT_EQ(checked.size(), requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    std::string all;
    for (const auto& p : checked[i]["problems"]) all += p.get<std::string>() + "\n";
    EXPECT_NE(all.find(spoiled[i].second), std::string::npos)
        << spoiled[i].first << ": expected a problem mentioning '" << spoiled[i].second
        << "', got: " << all;
  }
}

// Issue 14: an on_late record goes out with status late, its own idempotency
// key (never the trip's) and, to EventBridge, its own detail-type.
TEST(AwsActionsWire, OnLateRecordsHaveTheirOwnKeyAndDetailType) {
  TripRecord late = SampleTrip(TripStatus::kLate);
  late.arrivals.resize(1);
  ActionSpec eventbridge{"eventbridge", {}, {}};
  auto request = BuildAwsActionRequest(eventbridge, late, "eu-west-1");
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  json entry = json::parse(request->body)["Entries"][0];
  EXPECT_EQ(entry["DetailType"], "Barrier Late Arrival");
  json detail = json::parse(entry["Detail"].get<std::string>());
  EXPECT_EQ(detail["status"], "late");
  EXPECT_EQ(detail["idempotency_key"], "sales/2026-11-24,eu%2Fwest/3/late/" + late.arrivals[0].id);
  EXPECT_EQ(detail["objects"].size(), 1u);
}

TEST(AwsActionsWire, TemporaryCredentialsSignTheSessionToken) {
  SendEveryActionAndCheck(
      {"ASIAEXAMPLE", "secret/with+odd=chars", "IQoJb3JpZ2luX2VjEJr//////////token=="});
}

}  // namespace
}  // namespace eb
