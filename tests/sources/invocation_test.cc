// ProcessInvocation: one payload through the engine, as `handle`, the Lambda
// function and the HTTP receiver see it. Store calls are counted (a payload
// with nothing for any barrier must not reach the store), faults injected by
// wrapping the store, the deadline driven by a fake clock.
#include "sources/invocation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fakes/fault_store.h"
#include "fakes/s3_events.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using nlohmann::json;
using test::S3Notification;
using test::S3Record;
using test::SqsBatch;

class InvocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parsed_ = ParseConfig(R"({"b": ["in/0", "in/1"], "c": ["other/x"], "p": ["poison"]})");
    ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
    engine_ = std::make_unique<Engine>(parsed_.config, faulty_, actions_, clock_, Logger::Null());
  }
  InvocationResult Process(const std::string& payload) {
    return ProcessInvocation(*engine_, payload, options_);
  }

  FakeClock clock_;
  MemoryStore memory_{clock_};
  test::CountingStore counting_{memory_};
  // Fails every store call touching barrier p's state (its instance, its index entry).
  std::string poison_ = "/p/";
  test::FaultStore faulty_{counting_, [this](test::StoreOp, const std::string& key) {
                             return key.find(poison_) != std::string::npos
                                        ? test::Fault::kUnavailable
                                        : test::Fault::kNone;
                           }};
  test::RecordingActions actions_;
  ConfigParse parsed_;
  std::unique_ptr<Engine> engine_;
  InvocationOptions options_;
};

TEST_F(InvocationTest, NothingForAnyBarrierReachesNoStore) {
  for (const std::string& payload :
       {std::string(test::kS3TestEvent), S3Notification({S3Record("bkt", "unrelated/key", 1)}),
        S3Notification({S3Record("bkt", ".eventbarrier/b/_/a/x", 2)}),
        test::SnsNotification(S3Notification({S3Record("bkt", "in/0", 3, "ObjectRemoved:Delete")})),
        SqsBatch(
            {{"m1", S3Notification({S3Record("bkt", "nope", 4)})}, {"m2", test::kS3TestEvent}})}) {
    InvocationResult r = Process(payload);
    EXPECT_TRUE(r.ok()) << r.Overall().ToString() << "\n" << payload;
    EXPECT_EQ(r.arrivals, 0);
    EXPECT_GE(r.ignored, 1);
  }
  EXPECT_EQ(counting_.total(), 0) << "cheap success: not one store request";
}

TEST_F(InvocationTest, ArrivalsTripAndTheSummarySaysSo) {
  clock_.Set(1'700'000'000'000);
  InvocationResult first = Process(S3Notification({S3Record("bkt", "in/0/a.csv", 1)}));
  ASSERT_TRUE(first.ok()) << first.Overall().ToString();
  EXPECT_EQ(first.arrivals, 1);
  clock_.Advance(4'000);
  // A second copy of the first object, then the object that completes the barrier.
  InvocationResult second =
      Process(S3Notification({S3Record("bkt", "in/0/a.csv", 1), S3Record("bkt", "in/1/b.csv", 2)}));
  ASSERT_TRUE(second.ok()) << second.Overall().ToString();
  EXPECT_EQ(second.records, 2u);
  EXPECT_EQ(second.arrivals, 1);
  EXPECT_EQ(second.duplicates, 1);
  ASSERT_EQ(second.trips.size(), 1u);
  EXPECT_EQ(second.trips[0].first_arrival_at, 1'700'000'000'000);
  EXPECT_EQ(second.trips[0].claimed_at, 1'700'000'004'000) << "trip latency: 4 s";
  json summary = json::parse(InvocationSummary(second).dump());
  EXPECT_EQ(summary, json::parse(R"({"ok":true,"arrivals":1,"duplicates":1,"ignored":0,
      "trips":[{"barrier":"b","instance":"_","generation":1,"status":"complete","objects":2,"redriven":false}]})"));
}

TEST_F(InvocationTest, LateArrivalsAreCountedInTheSummary) {
  // Issue 14: a re-upload into a once-mode instance that tripped is "late".
  auto once =
      ParseConfig(R"({"barriers": {"o": {"members": ["o/{d}/x", "o/{d}/y"], "mode": "once"}}})");
  ASSERT_TRUE(once.ok()) << once.ErrorText();
  Engine engine(once.config, memory_, actions_, clock_, Logger::Null());
  InvocationResult trip = ProcessInvocation(
      engine, S3Notification({S3Record("bkt", "o/1/x", 1), S3Record("bkt", "o/1/y", 2)}));
  ASSERT_TRUE(trip.ok()) << trip.Overall().ToString();
  ASSERT_EQ(trip.trips.size(), 1u);
  EXPECT_EQ(trip.late, 0);
  EXPECT_FALSE(InvocationSummary(trip).contains("late")) << "only when there is any";
  clock_.Advance(60'000);
  InvocationResult r = ProcessInvocation(
      engine, S3Notification({S3Record("bkt", "o/1/x", 3), S3Record("bkt", "o/1/y", 4),
                              S3Record("bkt", "o/2/x", 5)}));
  ASSERT_TRUE(r.ok()) << r.Overall().ToString();
  EXPECT_EQ(r.arrivals, 3);
  EXPECT_EQ(r.late, 2);
  json summary = json::parse(InvocationSummary(r).dump());
  EXPECT_EQ(
      summary,
      json::parse(R"({"ok":true,"arrivals":3,"duplicates":0,"ignored":0,"late":2,"trips":[]})"));
}

TEST_F(InvocationTest, IgnoredRecordsAreCountedWithTheirRule) {
  // Issue 19: side files, directory markers and non-data events under a member
  // are counted by rule in the summary line, and cost no store request.
  InvocationResult r = Process(S3Notification({S3Record("bkt", "in/0/_temporary/0/part-0", 1),
                                               S3Record("bkt", "in/0/.part-0.crc", 2),
                                               S3Record("bkt", "in/0/_SUCCESS", 3),
                                               S3Record("bkt", "in/1/", 4),
                                               S3Record("bkt", "in/1/b.csv", 5, "ObjectRestore:Completed"),
                                               S3Record("bkt", "unrelated/key", 6)}));
  ASSERT_TRUE(r.ok()) << r.Overall().ToString();
  EXPECT_EQ(r.arrivals, 0);
  EXPECT_EQ(r.ignored, 6);
  EXPECT_EQ(counting_.total(), 0);
  json summary = json::parse(InvocationSummary(r).dump());
  EXPECT_EQ(summary.at("ignored_by"), json::parse(R"({"_*": 2, ".*": 1, "**/": 1, "events": 1})"));
  ASSERT_EQ(r.ignored_examples.size(), 5u);
  EXPECT_EQ(r.ignored_examples[0].key, "in/0/_temporary/0/part-0");
  EXPECT_EQ(r.ignored_examples[0].why.barrier, "b");
  EXPECT_NE(r.ignored_examples[4].why.reason.find("ObjectRestore:Completed"), std::string::npos);
  EXPECT_EQ(IgnoredByText(r), "**/=1, .*=1, _*=2, events=1");
}

TEST_F(InvocationTest, SqsFailsOnlyTheMessagesThatFailed) {
  InvocationResult r = Process(SqsBatch({
      {"m-ok", S3Notification({S3Record("bkt", "in/0/a", 1)})},
      {"m-bad-json", "{not json"},
      {"m-store", S3Notification({S3Record("bkt", "poison/x", 2)})},
      {"m-ok2", S3Notification({S3Record("bkt", "other/x", 3)})},
  }));
  EXPECT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_TRUE(r.is_sqs);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].message_id, "m-bad-json");
  EXPECT_EQ(r.failures[1].message_id, "m-store");
  EXPECT_NE(r.failures[1].error.find("unavailable"), std::string::npos) << r.failures[1].error;
  ASSERT_EQ(r.trips.size(), 1u) << "m-ok2 completed barrier c";
  EXPECT_EQ(
      BatchItemFailuresJson(r),
      R"({"batchItemFailures":[{"itemIdentifier":"m-bad-json"},{"itemIdentifier":"m-store"}]})");
  json summary = json::parse(InvocationSummary(r).dump());
  EXPECT_EQ(summary["ok"], false);
  EXPECT_EQ(summary["batchItemFailures"].size(), 2u);
  EXPECT_EQ(summary["error"], "invalid-argument: 2 SQS message(s) failed; see batchItemFailures");
}

TEST_F(InvocationTest, OutsideSqsAnEngineErrorFailsTheInvocation) {
  InvocationResult r = Process(S3Notification({S3Record("bkt", "poison/a", 1)}));
  EXPECT_EQ(r.error.code(), Code::kUnavailable);
  EXPECT_NE(r.error.message().find("poison/a"), std::string::npos) << "names the object";
  EXPECT_EQ(Process("[]").error.code(), Code::kInvalidArgument);
}

TEST_F(InvocationTest, NoRecordStartsInsideTheSafetyMargin) {
  options_.clock = &clock_;
  options_.safety_margin_ms = 1'000;
  options_.deadline_ms = clock_.NowMs() + 900;
  InvocationResult r =
      Process(S3Notification({S3Record("bkt", "in/0/a", 1), S3Record("bkt", "unrelated", 2)}));
  EXPECT_EQ(r.error.code(), Code::kUnavailable) << "reported so that Lambda retries the event";
  EXPECT_NE(r.error.message().find("deadline"), std::string::npos) << r.error.ToString();
  EXPECT_EQ(r.not_started, 2);
  EXPECT_EQ(counting_.total(), 0);

  r = Process(SqsBatch({{"m1", S3Notification({S3Record("bkt", "in/0/a", 1)})},
                        {"m2", S3Notification({S3Record("bkt", "in/1/a", 2)})}}));
  EXPECT_TRUE(r.error.ok()) << "SQS: a partial batch response, not an error";
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_NE(r.failures[0].error.find("deadline"), std::string::npos);
  EXPECT_EQ(counting_.total(), 0);

  r = Process(test::kS3TestEvent);
  EXPECT_TRUE(r.ok()) << "nothing to start, nothing late";
}

// Advances the clock on every marker write: the second record finds the deadline near.
class SlowStore : public test::StoreWrapper {
 public:
  SlowStore(ObjectStore& base, FakeClock& clock) : StoreWrapper(base), clock_(clock) {}
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    if (key.find("/a/") != std::string::npos) clock_.Advance(14'000);
    return base_.PutIfAbsent(key, body);
  }

 private:
  FakeClock& clock_;
};

TEST_F(InvocationTest, TheDeadlineStopsAnSqsBatchHalfWay) {
  SlowStore slow(memory_, clock_);
  Engine engine(parsed_.config, slow, actions_, clock_, Logger::Null());
  options_.clock = &clock_;
  options_.safety_margin_ms = 2'000;
  options_.deadline_ms = clock_.NowMs() + 15'000;
  InvocationResult r =
      ProcessInvocation(engine,
                        SqsBatch({{"m1", S3Notification({S3Record("bkt", "in/0/a", 1)})},
                                  {"m2", S3Notification({S3Record("bkt", "in/1/a", 2)})},
                                  {"m3", S3Notification({S3Record("bkt", "other/x", 3)})}}),
                        options_);
  EXPECT_EQ(r.arrivals, 1) << "m1 was processed";
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].message_id, "m2");
  EXPECT_EQ(r.failures[1].message_id, "m3");
  EXPECT_EQ(r.not_started, 2);
}

// Every barrier here is cyclic without variables: the sweeper keeps (and
// first creates) each one's open-index entry, p's too, so the tests of the
// scheduled sweep itself turn p's poison off (the next test keeps it on).
TEST_F(InvocationTest, AScheduledEventRunsTheSweeper) {
  poison_ = "\x01off";
  InvocationResult r = Process(test::kScheduledEvent);
  EXPECT_TRUE(r.ok()) << r.Overall().ToString();
  ASSERT_TRUE(r.swept.has_value());
  EXPECT_TRUE(*r.swept);
  EXPECT_GE(counting_.total(), 1) << "the sweeper lists the open index";
  EXPECT_EQ(json::parse(InvocationSummary(r).dump())["swept"], true);
}

// A barrier whose state the store refuses fails the scheduled sweep loudly
// (the invocation's error names it), and the other barriers are swept all the same.
TEST_F(InvocationTest, AScheduledSweepThatCannotIndexABarrierSaysSo) {
  InvocationResult r = Process(test::kScheduledEvent);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.Overall().ToString().find("p"), std::string::npos) << r.Overall().ToString();
  auto indexed = ListAll(memory_, ".eventbarrier/_open/");
  ASSERT_TRUE(indexed.ok());
  EXPECT_EQ(indexed->size(), 2u) << "b and c are indexed";
}

// The scheduled sweep runs under the invocation's deadline less the safety
// margin (inside the walk: core/sweeper.h); the summary says what it reached.
TEST_F(InvocationTest, TheScheduledSweepSaysWhatItVisitedAndLeft) {
  poison_ = "\x01off";
  ASSERT_TRUE(
      Process(S3Notification({S3Record("bkt", "in/0", 1), S3Record("bkt", "other/x", 2)})).ok());
  auto indexed = ListAll(memory_, ".eventbarrier/_open/");
  ASSERT_TRUE(indexed.ok());
  ASSERT_EQ(indexed->size(), 0u) << "the sweeper indexes a cyclic barrier without variables, not its arrivals";
  options_.clock = &clock_;
  options_.safety_margin_ms = 1000;
  options_.deadline_ms = clock_.NowMs() + 60'000;
  InvocationResult r = Process(test::kScheduledEvent);
  ASSERT_TRUE(r.ok()) << r.Overall().ToString();
  ASSERT_TRUE(r.sweep.has_value());
  EXPECT_EQ(r.sweep->instances, 3) << "b, c and p, each indexed by this sweep";
  EXPECT_EQ(r.sweep->not_visited, 0);
  auto line = json::parse(InvocationSummary(r).dump());
  EXPECT_EQ(line["sweep"]["instances"], 3);
  EXPECT_EQ(line["sweep"]["not_visited"], 0);
  EXPECT_TRUE(memory_.Get(".eventbarrier/_sweep/cursor").ok())
      << "the next sweep goes on from here";
}

}  // namespace
}  // namespace eb
