// The Lambda function's operator payload (cli/lambda_operator.h): refused
// unless the function's configuration enables it; each op answers the CLI's
// JSON document or an error whose type and message say what is wrong.
#include "cli/lambda_operator.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "cli/lambda_function.h"
#include "fakes/env.h"
#include "fakes/fault_store.h"
#include "fakes/s3_events.h"
#include "stores/memory_store.h"

namespace eb::cli {
namespace {

using nlohmann::json;

class LambdaOperatorTest : public ::testing::Test {
 protected:
  void Start(bool enabled) {
    parsed_ = ParseConfig(R"({"barriers": {"b": {"members": ["in/0", "in/1", "in/2"],
        "on_complete": [{"type": "manifest", "key": "ready/{generation}.json"}]}}})");
    ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
    LambdaSettings settings;
    settings.function_name = "fn";
    settings.worker_id = "stream-1";
    settings.operator_payloads = enabled;
    function_ = std::make_unique<BarrierFunction>(
        parsed_.config, store_, actions_, clock_, Logger::Null(), [](const std::string&) {},
        settings);
  }
  aws::LambdaOutcome Invoke(const std::string& payload) {
    aws::LambdaInvocation inv;
    inv.request_id = "req";
    inv.deadline_ms = clock_.NowMs() + 60'000;
    inv.payload = payload;
    return function_->Handle(inv);
  }
  json Ok(const std::string& payload) {
    auto out = Invoke(payload);
    EXPECT_TRUE(out.ok) << payload << ": " << out.error.type << " " << out.error.message;
    return out.ok ? json::parse(out.body) : json();
  }

  FakeClock clock_;
  MemoryStore store_{clock_};
  test::RecordingActions actions_;
  ConfigParse parsed_;
  std::unique_ptr<BarrierFunction> function_;
};

TEST_F(LambdaOperatorTest, RefusedUnlessTheFunctionEnablesIt) {
  Start(false);
  auto out = Invoke(R"({"eventbarrier": {"op": "status"}})");
  ASSERT_FALSE(out.ok);
  EXPECT_EQ(out.error.type, "EventBarrier.OperatorRefused");
  EXPECT_NE(out.error.message.find("EVENTBARRIER_OPERATOR_PAYLOADS=true"), std::string::npos)
      << out.error.message;
  // Notifications are not affected.
  EXPECT_TRUE(Invoke(test::S3Notification({test::S3Record("bkt", "in/0/a", 1)})).ok);
  out = Invoke(R"({"eventbarrier": {"op": "trip", "barrier": "b", "reason": "x"}})");
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(actions_.runs().empty()) << "nothing forced";
}

TEST_F(LambdaOperatorTest, TripHistoryRerunAndStatus) {
  Start(true);
  ASSERT_TRUE(Invoke(test::S3Notification(
                         {test::S3Record("bkt", "in/0/a", 1), test::S3Record("bkt", "in/1/b", 2)}))
                  .ok);

  json dry = Ok(
      R"({"eventbarrier": {"op": "trip", "barrier": "b", "reason": "in/2 lost", "dry_run": true}})");
  EXPECT_EQ(dry["op"], "trip");
  EXPECT_EQ(dry["result"]["dry_run"], true);
  EXPECT_EQ(dry["result"]["missing"], json::array({"in/2"}));
  EXPECT_TRUE(actions_.runs().empty());

  json forced = Ok(
      R"({"eventbarrier": {"op": "trip", "barrier": "b", "reason": "in/2 lost", "by": "alice"}})");
  EXPECT_EQ(forced["result"]["status"], "forced");
  EXPECT_EQ(forced["result"]["generation"], 1);
  EXPECT_EQ(forced["result"]["by"], "alice");
  EXPECT_EQ(actions_.runs().at("b/_/1"), 1);

  json history = Ok(R"({"eventbarrier": {"op": "history", "barrier": "b", "last": 5}})");
  ASSERT_EQ(history["result"]["generations"].size(), 1u);
  EXPECT_EQ(history["result"]["generations"][0]["outcome"], "forced");
  EXPECT_EQ(history["result"]["generations"][0]["reason"], "in/2 lost");

  json rerun =
      Ok(R"({"eventbarrier": {"op": "rerun", "barrier": "b", "instance": "_", "generation": 1}})");
  EXPECT_EQ(rerun["result"]["rerun"], 1);
  EXPECT_EQ(rerun["result"]["by"], kPayloadOperator) << "no `by`: the payload says who";
  EXPECT_EQ(actions_.runs().at("b/_/1"), 2);

  json status = Ok(R"({"eventbarrier": {"op": "status"}})");
  ASSERT_EQ(status["result"]["instances"].size(), 1u);
  EXPECT_EQ(status["result"]["instances"][0]["last_trip"]["status"], "forced");
}

TEST_F(LambdaOperatorTest, MalformedOrRefusedOperationsSayWhatIsWrong) {
  Start(true);
  struct Case {
    const char* payload;
    const char* type;
    const char* message;
  };
  for (const Case& c : {
           Case{R"({"eventbarrier": "status"})", "EventBarrier.InvalidOperatorPayload",
                "eventbarrier: must be an object"},
           Case{R"({"eventbarrier": {"op": "drop"}})", "EventBarrier.InvalidOperatorPayload",
                "'drop' is not one of"},
           Case{R"({"eventbarrier": {"op": "trip", "barrier": "b"}})",
                "EventBarrier.InvalidOperatorPayload", "eventbarrier.reason"},
           Case{R"({"eventbarrier": {"op": "trip", "reason": "x"}})",
                "EventBarrier.InvalidOperatorPayload", "eventbarrier.barrier"},
           Case{R"({"eventbarrier": {"op": "rerun", "barrier": "b", "generation": 0}})",
                "EventBarrier.InvalidOperatorPayload", "eventbarrier.generation"},
           Case{R"({"eventbarrier": {"op": "history", "barrier": 7}})",
                "EventBarrier.InvalidOperatorPayload", "eventbarrier.barrier: must be a string"},
           Case{R"({"eventbarrier": {"op": "trip", "barrier": "b", "reason": "x"}})",
                "EventBarrier.OperatorFailed", "nothing to force"},
           Case{R"({"eventbarrier": {"op": "rerun", "barrier": "b", "generation": 3}})",
                "EventBarrier.OperatorFailed", "no trip record"},
           Case{R"({"eventbarrier": {"op": "history", "barrier": "nope"}})",
                "EventBarrier.OperatorFailed", "'nope' is not in the configuration"},
       }) {
    auto out = Invoke(c.payload);
    ASSERT_FALSE(out.ok) << c.payload;
    EXPECT_EQ(out.error.type, c.type) << c.payload;
    EXPECT_NE(out.error.message.find(c.message), std::string::npos)
        << c.payload << ": " << out.error.message;
  }
}

TEST(LambdaOperatorSettings, EnabledOnlyByTheFunctionsConfiguration) {
  auto env = test::MapEnv;
  EXPECT_FALSE(ReadLambdaSettings(env({}), "/x")->operator_payloads);
  EXPECT_TRUE(ReadLambdaSettings(env({{"EVENTBARRIER_OPERATOR_PAYLOADS", "true"}}), "/x")
                  ->operator_payloads);
  EXPECT_FALSE(ReadLambdaSettings(env({{"EVENTBARRIER_OPERATOR_PAYLOADS", "false"}}), "/x")
                   ->operator_payloads);
  auto bad = ReadLambdaSettings(env({{"EVENTBARRIER_OPERATOR_PAYLOADS", "yes please"}}), "/x");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("EVENTBARRIER_OPERATOR_PAYLOADS"), std::string::npos);
}

}  // namespace
}  // namespace eb::cli
