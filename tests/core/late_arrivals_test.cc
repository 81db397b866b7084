// Issue 14: late arrivals are visible in `status`: a re-upload after a
// once-mode instance tripped (never consumed), and a straggler of a member a
// timeout trip went without. `status` reads state the report reads anyway.
// The arrival path counts and logs a late arrival into a once-mode instance
// and runs on_late for it (core/late_arrival.h).
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "core/engine.h"
#include "core/engine_fixture.h"
#include "core/late_arrival.h"
#include "core/status_report.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "fakes/log_file.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

class LateArrivalsTest : public test::EngineFixture {
 protected:
  ArrivalOutcome Arrive(const Arrival& a) {
    clock_.Advance(1000);
    auto r = engine_->OnArrival(a);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ArrivalOutcome{};
  }
  const InstanceStatus* Find(const StatusReport& report, const std::string& instance) {
    for (const auto& s : report.instances) {
      if (s.instance == instance) return &s;
    }
    return nullptr;
  }
};

TEST_F(LateArrivalsTest, ReuploadsAfterAOnceTripAreShown) {
  Load(R"({"barriers": {"d": {"members": ["in/{date}/a", "in/{date}/b"], "mode": "once"}}})");
  Arrive(test::Upload("in/x/a"));
  ASSERT_EQ(Arrive(test::Upload("in/x/b")).trips.size(), 1u);
  Arrive(test::Upload("in/y/a"));
  auto report = BuildStatusReport(store_, parsed_.config, {.all_instances = true});
  ASSERT_TRUE(report.ok());
  ASSERT_NE(Find(*report, "x"), nullptr);
  EXPECT_TRUE(Find(*report, "x")->finished);
  EXPECT_EQ(Find(*report, "x")->late_arrivals, 0u) << "the trip's own markers are not late";
  Arrive(test::Upload("in/x/a", "2"));
  Arrive(test::Upload("in/x/b", "2"));
  report = BuildStatusReport(store_, parsed_.config, {.all_instances = true});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Find(*report, "x")->late_arrivals, 2u);
  EXPECT_EQ(Find(*report, "y")->late_arrivals, 0u) << "an open instance's arrivals are not late";
}

// The engine with a log that the test reads back.
class LateArrivalActionsTest : public LateArrivalsTest {
 protected:
  void LoadLogged(const std::string& json) {
    Load(json);
    engine_ = std::make_unique<Engine>(parsed_.config, store_, actions_, clock_, log_.logger());
  }
  void TearDown() override { engine_.reset(); }
  std::string Log() { return log_.Text(); }
  // Idempotency keys of the on_late runs, with their counts.
  std::map<std::string, int> LateRuns() {
    std::map<std::string, int> out;
    for (const auto& [key, n] : actions_.runs()) {
      if (key.find("/late/") != std::string::npos) out[key] = n;
    }
    return out;
  }
  test::LogFile log_;
};

constexpr const char* kOnceWithOnLate =
    R"({"barriers": {"d": {"members": ["in/{date}/a", "in/{date}/b"],
    "mode": "once", "on_complete": [{"type": "manifest", "key": "ready/{date}.json"}],
    "on_late": [{"type": "manifest", "key": "late/{date}.json"}]}}})";

TEST_F(LateArrivalActionsTest, ReuploadAfterAOnceTripIsCountedLoggedAndRunsOnLateOnce) {
  LoadLogged(kOnceWithOnLate);
  EXPECT_EQ(Arrive(test::Upload("in/x/a")).late, 0);
  ArrivalOutcome completing = Arrive(test::Upload("in/x/b"));
  ASSERT_EQ(completing.trips.size(), 1u);
  EXPECT_EQ(completing.late, 0) << "the completing arrival is consumed, not late";
  EXPECT_TRUE(LateRuns().empty());
  // A copy of a consumed arrival, redelivered later, is a late duplicate,
  // not a late arrival.
  clock_.Set(test::kRedeliveryMs);
  ArrivalOutcome copy = Arrive(test::Upload("in/x/a"));
  EXPECT_EQ(copy.late_duplicates, 1);
  EXPECT_EQ(copy.late, 0);

  // A re-upload: a new arrival the tripped instance never consumes.
  const Arrival reupload = test::Upload("in/x/a", "2");
  ArrivalOutcome late = Arrive(reupload);
  EXPECT_EQ(late.counted, 1);
  EXPECT_EQ(late.late, 1);
  EXPECT_TRUE(late.trips.empty());
  const std::string key = "d/x/1/late/" + ArrivalId(reupload);
  EXPECT_EQ(LateRuns(), (std::map<std::string, int>{{key, 1}}));
  const TripRecord handed = actions_.last_trip().at(key);
  EXPECT_EQ(handed.status, TripStatus::kLate);
  EXPECT_EQ(handed.generation, 1) << "the generation that tripped without it";
  ASSERT_EQ(handed.arrivals.size(), 1u);
  EXPECT_EQ(handed.arrivals[0].arrival.key, "in/x/a");
  EXPECT_EQ(handed.bindings.at("date"), "x");
  std::string manifest = ManifestJson(handed);
  EXPECT_NE(manifest.find("\"status\": \"late\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("\"idempotency_key\": \"" + key + "\""), std::string::npos) << manifest;
  std::string log = Log();
  EXPECT_NE(log.find("late arrival"), std::string::npos) << log;
  EXPECT_NE(log.find("\"key\":\"in/x/a\""), std::string::npos) << log;
  EXPECT_NE(log.find("tripped (generation 1) without it"), std::string::npos) << log;
  EXPECT_TRUE(store_.Get(".eventbarrier/d/x/l/" + ArrivalId(reupload)).ok())
      << "on_late ran: marked";

  // Redelivered: a duplicate, not counted again, on_late not run again.
  ArrivalOutcome again = Arrive(reupload);
  EXPECT_EQ(again.duplicates, 1);
  EXPECT_EQ(again.late, 0);
  EXPECT_EQ(LateRuns().at(key), 1);

  // The instance is not blocked: the sweeper finds nothing to do (no
  // unfinished trip), and another instance of the barrier trips as usual.
  auto swept = engine_->Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_TRUE(swept->trips.empty());
  Arrive(test::Upload("in/y/a"));
  EXPECT_EQ(Arrive(test::Upload("in/y/b")).trips.size(), 1u);
  EXPECT_EQ(actions_.runs().at("d/x/1"), 1) << "the trip's own actions ran once";
}

TEST_F(LateArrivalActionsTest, AFailingOnLateFailsTheArrivalAndItsRedeliveryRunsItAgain) {
  LoadLogged(kOnceWithOnLate);
  Arrive(test::Upload("in/x/a"));
  ASSERT_EQ(Arrive(test::Upload("in/x/b")).trips.size(), 1u);
  actions_.fail = [](const ActionSpec&, const TripRecord& t) {
    return t.status == TripStatus::kLate;
  };
  const Arrival reupload = test::Upload("in/x/b", "2");
  clock_.Advance(1000);
  auto failed = engine_->OnArrival(reupload);
  ASSERT_FALSE(failed.ok()) << "the event is redelivered";
  EXPECT_NE(Log().find("action failed (on_late)"), std::string::npos);
  actions_.fail = nullptr;
  ArrivalOutcome redelivered = Arrive(reupload);
  EXPECT_EQ(redelivered.duplicates, 1) << "its marker was written the first time";
  const std::string key = "d/x/1/late/" + ArrivalId(reupload);
  EXPECT_EQ(LateRuns().at(key), 2) << "at least once: the failed run, then the redelivery's";
  Arrive(reupload);
  EXPECT_EQ(LateRuns().at(key), 2) << "never again once it succeeded";
}

TEST_F(LateArrivalActionsTest, StragglerAfterAOnceTimeoutIsLate) {
  LoadLogged(R"({"barriers": {"d": {"members": ["in/{date}/a", "in/{date}/b", "in/{date}/c"],
      "timeout": "1m", "on_timeout": [{"type": "manifest", "key": "t/{date}.json"}],
      "on_late": [{"type": "manifest", "key": "late/{date}.json"}]}}})");
  Arrive(test::Upload("in/x/a"));
  clock_.Advance(61'000);
  auto swept = engine_->Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  ASSERT_EQ(swept->trips.size(), 1u);
  // b cannot complete the set (c is missing too): found because the oldest
  // marker is past the timeout.
  const Arrival straggler = test::Upload("in/x/b");
  ArrivalOutcome out = Arrive(straggler);
  EXPECT_EQ(out.late, 1);
  EXPECT_EQ(LateRuns().count("d/x/1/late/" + ArrivalId(straggler)), 1u);
  EXPECT_NE(Log().find("timed out (generation 1) without it"), std::string::npos) << Log();
}

TEST_F(LateArrivalActionsTest, OrdinaryOnceArrivalsPayNothingMore) {
  // Late detection reads only what the arrival path reads anyway: an arrival
  // that cannot complete its instance (and is not past the timeout) lists a/
  // and never t/.
  Load(R"({"barriers": {"d": {"members": ["in/{date}/a", "in/{date}/b", "in/{date}/c"],
      "timeout": "1h", "on_late": [{"type": "manifest", "key": "late/{date}.json"}]}}})");
  test::CountingStore counting(store_);
  Engine engine(parsed_.config, counting, actions_, clock_, Logger::Null());
  ASSERT_TRUE(engine.OnArrival(test::Upload("in/x/a")).ok());
  clock_.Advance(1000);
  counting.Reset();
  auto second = engine.OnArrival(test::Upload("in/x/b"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(counting.count(test::StoreOp::kList), 1) << "a/ only";
  EXPECT_EQ(counting.total(), 3)
      << "tombstone GET (a barrier with a timeout reads it, prompt or not), "
         "marker PUT, LIST a/ (the index is cached)";
  EXPECT_EQ(second->late, 0);

  // A late arrival in the process that tripped the instance: the same three,
  // the LIST of t/ (its marker completes a/), and the on_late marker.
  clock_.Advance(1000);
  ASSERT_EQ(engine.OnArrival(test::Upload("in/x/c")).value().trips.size(), 1u);
  clock_.Advance(1000);
  counting.Reset();
  auto late = engine.OnArrival(test::Upload("in/x/c", "2"));
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->late, 1);
  EXPECT_EQ(counting.count(test::StoreOp::kList), 2) << "a/ and t/";
  EXPECT_EQ(counting.total(), 5) << "tombstone GET, marker PUT, LIST a/, LIST t/, PUT l/<id>";
}

TEST_F(LateArrivalsTest, StragglerAfterATimeoutTripIsShown) {
  Load(R"({"barriers": {"c": {"members": ["m0", "m1", "m2"], "timeout": "1m"}}})");
  Arrive(test::Upload("m0"));
  Arrive(test::Upload("m1"));
  clock_.Advance(61'000);
  auto swept = engine_->Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  ASSERT_EQ(swept->trips.size(), 1u) << "timed out without m2";
  Arrive(test::Upload("m2"));       // the straggler
  Arrive(test::Upload("m0", "2"));  // an ordinary first arrival of the next generation
  auto report = BuildStatusReport(store_, parsed_.config);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->instances.size(), 1u);
  EXPECT_EQ(report->instances[0].last_trip->status, TripStatus::kTimeout);
  EXPECT_EQ(report->instances[0].late_arrivals, 1u) << "m2, which the timeout trip went without";
}

}  // namespace
}  // namespace eb
