// The Lambda function's pieces, without a runtime: settings from a given
// environment, initialization errors and their types, and what one invocation
// answers and logs (EMF metrics included), on an in-memory store.
#include "cli/lambda_function.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "fakes/env.h"
#include "fakes/fault_store.h"
#include "fakes/s3_events.h"
#include "stores/memory_store.h"

namespace eb::cli {
namespace {

using test::MapEnv;

using nlohmann::json;
namespace fs = std::filesystem;

TEST(LambdaSettings, ConfigPathStateAndMarginFromTheEnvironment) {
  auto defaults = ReadLambdaSettings(MapEnv({}), "/opt/bin");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->config_path, "/opt/bin/eventbarrier.json") << "next to the binary";
  EXPECT_EQ(defaults->state, "");
  EXPECT_EQ(defaults->safety_margin_ms, 1000);

  auto lambda =
      ReadLambdaSettings(MapEnv({{"LAMBDA_TASK_ROOT", "/var/task"},
                                 {"AWS_LAMBDA_FUNCTION_NAME", "barriers"},
                                 {"AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/24/[$LATEST]abc"}}),
                         "/var/task");
  ASSERT_TRUE(lambda.ok());
  EXPECT_EQ(lambda->config_path, "/var/task/eventbarrier.json");
  EXPECT_EQ(lambda->function_name, "barriers");
  EXPECT_EQ(lambda->worker_id, "2026/11/24/[$LATEST]abc") << "one log stream per environment";

  auto overridden = ReadLambdaSettings(MapEnv({{"LAMBDA_TASK_ROOT", "/var/task"},
                                               {"EVENTBARRIER_CONFIG", "/opt/cfg.json"},
                                               {"EVENTBARRIER_STATE", "s3://state/p/"},
                                               {"EVENTBARRIER_SAFETY_MARGIN_MS", "2500"}}),
                                       "/x");
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(overridden->config_path, "/opt/cfg.json");
  EXPECT_EQ(overridden->state, "s3://state/p/");
  EXPECT_EQ(overridden->safety_margin_ms, 2500);

  auto bad = ReadLambdaSettings(MapEnv({{"EVENTBARRIER_SAFETY_MARGIN_MS", "2s"}}), "/x");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST(LambdaSettings, WhenTheBinaryRunsTheRuntimeLoop) {
  auto none = MapEnv({});
  auto api = MapEnv({{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}});
  EXPECT_TRUE(LambdaModeRequested("/var/task/bootstrap", 1, none));
  EXPECT_TRUE(LambdaModeRequested("bootstrap", 1, none));
  EXPECT_FALSE(LambdaModeRequested("/var/task/bootstrap", 3, none))
      << "bootstrap validate x: the CLI";
  EXPECT_FALSE(LambdaModeRequested("/usr/bin/eventbarrier", 1, none)) << "usage";
  EXPECT_TRUE(LambdaModeRequested("/usr/bin/eventbarrier", 1, api));
  EXPECT_FALSE(LambdaModeRequested("/usr/bin/eventbarrier", 2, api));
  EXPECT_FALSE(LambdaModeRequested("/x/not-bootstrap", 1, none));
}

TEST(LambdaConfig, ExecActionsAreRefused) {
  ConfigParse p = ParseConfig(R"({"barriers": {"b": {"members": ["x"],
      "on_complete": [{"type": "manifest", "key": "ready/_SUCCESS.json"}, {"type": "exec", "command": ["true"]}],
      "on_timeout": [{"type": "exec", "command": ["false"]}], "timeout": "1h"}}})");
  ASSERT_TRUE(p.ok()) << p.ErrorText();
  auto errors = CheckLambdaConfig(p.config);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].barrier, "b");
  EXPECT_EQ(errors[0].field, "on_complete[1]");
  EXPECT_EQ(errors[1].field, "on_timeout[0]");
}

class LambdaInitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("eb-lambda-init-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  Result<LambdaState> Init(const std::string& config, const std::string& state,
                           std::map<std::string, std::string> env = {}) {
    LambdaSettings s;
    s.config_path = config;
    s.state = state;
    return InitLambda(s, MapEnv(env), &error_);
  }
  fs::path dir_;
  aws::LambdaError error_;
};

TEST_F(LambdaInitTest, EveryProblemHasItsErrorType) {
  EXPECT_FALSE(Init((dir_ / "missing.json").string(), "").ok());
  EXPECT_EQ(error_.type, "EventBarrier.ConfigNotFound");
  EXPECT_NE(error_.message.find("missing.json"), std::string::npos) << error_.message;

  EXPECT_FALSE(Init(Write("bad.json", R"({"b": []})"), "").ok());
  EXPECT_EQ(error_.type, "EventBarrier.ConfigInvalid");
  EXPECT_NE(error_.message.find("b"), std::string::npos) << error_.message;

  std::string good = Write("good.json", R"({"b": ["x/0", "x/1"]})");
  EXPECT_FALSE(Init(good, "").ok()) << "no state location anywhere";
  EXPECT_EQ(error_.type, "EventBarrier.StateInvalid");

  EXPECT_FALSE(Init(good, "s3://bucket/state/").ok());
  EXPECT_EQ(error_.type, "EventBarrier.CredentialsMissing");
  EXPECT_NE(error_.message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << error_.message;

  auto ok = Init(good, "s3://bucket/state/?endpoint=http://127.0.0.1:1",
                 {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "secret"}});
  ASSERT_TRUE(ok.ok()) << error_.message;
  EXPECT_EQ(ok->config->config.barriers.size(), 1u);
  EXPECT_NE(ok->store->Describe().find("s3://bucket/state/"), std::string::npos);

  auto folder = Init(good, (dir_ / "state").string());
  ASSERT_TRUE(folder.ok()) << error_.message;
}

class BarrierFunctionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parsed_ = ParseConfig(R"({"b": ["in/0", "in/1"], "p": ["poison"]})");
    ASSERT_TRUE(parsed_.ok());
    settings_.function_name = "fn";
    settings_.safety_margin_ms = 1000;
    function_ = std::make_unique<BarrierFunction>(
        parsed_.config, faulty_, actions_, clock_, Logger::Null(),
        [this](const std::string& line) { metrics_.push_back(json::parse(line)); }, settings_);
  }
  aws::LambdaOutcome Invoke(const std::string& payload, TimeMs time_left = 60'000) {
    aws::LambdaInvocation inv;
    inv.request_id = "req-" + std::to_string(++n_);
    inv.deadline_ms = clock_.NowMs() + time_left;
    inv.payload = payload;
    return function_->Handle(inv);
  }

  FakeClock clock_;
  MemoryStore memory_{clock_};
  test::FaultStore faulty_{memory_, [](test::StoreOp, const std::string& key) {
                             return key.find("/p/") != std::string::npos ? test::Fault::kUnavailable
                                                                         : test::Fault::kNone;
                           }};
  test::RecordingActions actions_;
  ConfigParse parsed_;
  LambdaSettings settings_;
  std::unique_ptr<BarrierFunction> function_;
  std::vector<json> metrics_;
  int n_ = 0;
};

TEST_F(BarrierFunctionTest, ATripAnswersTheSummaryAndEmitsMetrics) {
  auto first = Invoke(test::S3Notification({test::S3Record("bkt", "in/0/a", 1)}));
  ASSERT_TRUE(first.ok) << first.error.message;
  clock_.Advance(2'500);
  auto second = Invoke(test::S3Notification(
      {test::S3Record("bkt", "in/0/a", 1), test::S3Record("bkt", "in/1/b", 2)}));
  ASSERT_TRUE(second.ok) << second.error.message;
  json body = json::parse(second.body);
  EXPECT_EQ(body["ok"], true);
  ASSERT_EQ(body["trips"].size(), 1u);
  EXPECT_EQ(body["trips"][0]["barrier"], "b");

  ASSERT_EQ(metrics_.size(), 2u) << "one EMF line per invocation that counted something";
  const json& m = metrics_[1];
  EXPECT_EQ(m["_aws"]["CloudWatchMetrics"][0]["Namespace"], "EventBarrier");
  EXPECT_EQ(m["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json::parse(R"([["FunctionName"]])"));
  EXPECT_EQ(m["_aws"]["Timestamp"], clock_.NowMs());
  EXPECT_EQ(m["FunctionName"], "fn");
  EXPECT_EQ(m["requestId"], "req-2");
  EXPECT_EQ(m["Arrivals"], 1);
  EXPECT_EQ(m["Duplicates"], 1);
  EXPECT_EQ(m["Trips"], 1);
  EXPECT_EQ(m["Timeouts"], 0);
  EXPECT_EQ(m["TripLatency"], 2500) << "first arrival to trip";
  std::vector<std::string> declared;
  for (const auto& d : m["_aws"]["CloudWatchMetrics"][0]["Metrics"]) declared.push_back(d["Name"]);
  EXPECT_EQ(m["TripFailures"], 0);
  EXPECT_EQ(declared, (std::vector<std::string>{"Arrivals", "Duplicates", "Trips", "Timeouts",
                                                "LateAfterTrip", "TripLatency", "TripFailures"}));
  EXPECT_EQ(m["LateAfterTrip"], 0);
  EXPECT_EQ(metrics_[0].count("TripLatency"), 0u) << "no trip, no latency";

  EXPECT_TRUE(Invoke(test::kS3TestEvent).ok);
  EXPECT_EQ(metrics_.size(), 2u) << "a test event counts nothing: no metrics line";
}

// A trip whose action fails: the invocation succeeds (the arrival is
// recorded, the trip re-driven with backoff) and TripFailures, the alarmed
// metric, counts it.
TEST_F(BarrierFunctionTest, AFailingActionSucceedsTheInvocationAndCountsTripFailures) {
  parsed_ = ParseConfig(
      R"({"barriers": {"b": {"members": ["in/0", "in/1"], "on_complete": [{"type": "manifest", "key": "m"}]}}})");
  ASSERT_TRUE(parsed_.ok());
  function_ = std::make_unique<BarrierFunction>(
      parsed_.config, faulty_, actions_, clock_, Logger::Null(),
      [this](const std::string& line) { metrics_.push_back(json::parse(line)); }, settings_);
  actions_.fail = [](const ActionSpec&, const TripRecord&) { return true; };
  auto out = Invoke(test::S3Notification(
      {test::S3Record("bkt", "in/0/a", 1), test::S3Record("bkt", "in/1/b", 2)}));
  ASSERT_TRUE(out.ok) << out.error.message;
  ASSERT_EQ(metrics_.size(), 1u);
  EXPECT_EQ(metrics_[0]["TripFailures"], 1);
  EXPECT_EQ(metrics_[0]["Trips"], 0) << "not finished";
}

TEST_F(BarrierFunctionTest, LateArrivalsAreInTheSummaryAndAnEmfMetric) {
  // Issue 14: a re-upload into a once-mode instance that tripped is late.
  function_.reset();
  parsed_ =
      ParseConfig(R"({"barriers": {"o": {"members": ["o/{d}/x", "o/{d}/y"], "mode": "once"}}})");
  ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
  function_ = std::make_unique<BarrierFunction>(
      parsed_.config, faulty_, actions_, clock_, Logger::Null(),
      [this](const std::string& line) { metrics_.push_back(json::parse(line)); }, settings_);
  auto trip = Invoke(
      test::S3Notification({test::S3Record("bkt", "o/1/x", 1), test::S3Record("bkt", "o/1/y", 2)}));
  ASSERT_TRUE(trip.ok) << trip.error.message;
  ASSERT_EQ(json::parse(trip.body)["trips"].size(), 1u);
  clock_.Advance(1'000);
  auto late = Invoke(test::S3Notification({test::S3Record("bkt", "o/1/y", 3)}));
  ASSERT_TRUE(late.ok) << late.error.message;
  EXPECT_EQ(json::parse(late.body)["late"], 1) << late.body;
  ASSERT_EQ(metrics_.size(), 2u);
  EXPECT_EQ(metrics_[0]["LateAfterTrip"], 0);
  EXPECT_EQ(metrics_[1]["LateAfterTrip"], 1);
  EXPECT_EQ(metrics_[1]["Arrivals"], 1);
}

TEST_F(BarrierFunctionTest, SqsAnswersAPartialBatchResponse) {
  auto out =
      Invoke(test::SqsBatch({{"m1", test::S3Notification({test::S3Record("bkt", "in/0/a", 1)})},
                             {"m2", test::S3Notification({test::S3Record("bkt", "poison/a", 2)})},
                             {"m3", "not json"}}));
  ASSERT_TRUE(out.ok) << "a partial batch response is a successful invocation";
  EXPECT_EQ(out.body, R"({"batchItemFailures":[{"itemIdentifier":"m3"},{"itemIdentifier":"m2"}]})");
  auto none = Invoke(test::SqsBatch({{"m4", test::kS3TestEvent}}));
  EXPECT_EQ(none.body, R"({"batchItemFailures":[]})");
}

TEST_F(BarrierFunctionTest, FailuresAreErrorsWithATypeSoThatLambdaRetries) {
  auto invalid = Invoke(R"({"Records":[{"eventSource":"aws:s3","s3":{}}]})");
  ASSERT_FALSE(invalid.ok);
  EXPECT_EQ(invalid.error.type, "EventBarrier.InvalidEvent");
  EXPECT_NE(invalid.error.message.find("Records[0]"), std::string::npos) << invalid.error.message;

  auto store = Invoke(test::S3Notification({test::S3Record("bkt", "poison/a", 1)}));
  ASSERT_FALSE(store.ok);
  EXPECT_EQ(store.error.type, "EventBarrier.Unavailable");

  auto late = Invoke(test::S3Notification({test::S3Record("bkt", "in/0/a", 1)}), /*time_left=*/999);
  ASSERT_FALSE(late.ok);
  EXPECT_EQ(late.error.type, "EventBarrier.Unavailable");
  EXPECT_NE(late.error.message.find("deadline"), std::string::npos) << late.error.message;

  auto late_sqs =
      Invoke(test::SqsBatch({{"m1", test::S3Notification({test::S3Record("bkt", "in/0/a", 1)})}}),
             /*time_left=*/999);
  ASSERT_TRUE(late_sqs.ok);
  EXPECT_EQ(late_sqs.body, R"({"batchItemFailures":[{"itemIdentifier":"m1"}]})");
}

}  // namespace
}  // namespace eb::cli
