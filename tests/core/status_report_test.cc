#include "core/status_report.h"

#include <gtest/gtest.h>

#include "core/engine.h"
#include "core/engine_fixture.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

Arrival Obj(const std::string& key, const std::string& sequencer = "1") {
  Arrival a;
  a.bucket = "bkt";
  a.key = key;
  a.size = 1;
  a.sequencer = sequencer;
  a.event_name = "ObjectCreated:Put";
  a.source = "aws:s3";
  return a;
}

class StatusReportTest : public test::EngineFixture {
 protected:
  void Arrive(const Arrival& a) {
    auto r = engine_->OnArrival(a);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  StatusReport Report() {
    auto r = BuildStatusReport(store_, parsed_.config);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : StatusReport{};
  }
  const InstanceStatus* Find(const StatusReport& r, const std::string& barrier, const std::string& instance) {
    for (const auto& i : r.instances) {
      if (i.barrier == barrier && i.instance == instance) return &i;
    }
    return nullptr;
  }

};

TEST_F(StatusReportTest, BarrierWithoutVariablesShownBeforeAnyArrival) {
  Load(R"({"b": ["x", "y", "z"]})");
  StatusReport r = Report();
  ASSERT_EQ(r.instances.size(), 1u);
  const InstanceStatus& s = r.instances[0];
  EXPECT_EQ(s.instance, "_");
  EXPECT_EQ(s.generation, 1);
  EXPECT_EQ(s.needed, 3u);
  EXPECT_EQ(s.have, 0u);
  EXPECT_EQ(s.missing, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_FALSE(s.last_trip.has_value());
  EXPECT_EQ(s.first_arrival_at, 0);
}

TEST_F(StatusReportTest, ProgressAfterTripIgnoresConsumedAndStaleMarkers) {
  Load(R"({"b": ["x", "y", "z"]})");
  Arrive(Obj("x"));
  Arrive(Obj("y"));
  Arrive(Obj("z"));  // generation 1 trips
  clock_.Advance(1000);
  Arrive(Obj("x"));  // a stale duplicate re-creates a/ for a consumed id
  Arrive(Obj("y", "2"));  // a genuine new arrival for generation 2
  StatusReport r = Report();
  const InstanceStatus* s = Find(r, "b", "_");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->generation, 2);
  EXPECT_EQ(s->have, 1u) << "the stale duplicate of x does not count";
  EXPECT_EQ(s->arrived, std::vector<std::string>{"y"});
  EXPECT_EQ(s->missing, (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(s->arrivals, 1u);
  EXPECT_EQ(s->first_arrival_at, clock_.NowMs());
  ASSERT_TRUE(s->last_trip.has_value());
  EXPECT_EQ(s->last_trip->generation, 1);
  EXPECT_EQ(s->last_trip->status, TripStatus::kComplete);
  EXPECT_EQ(s->last_trip->objects, 3u);
  EXPECT_TRUE(s->last_trip->done);
  EXPECT_TRUE(s->pending.empty());
}

TEST_F(StatusReportTest, TemplatedInstancesFromTheOpenIndexWithDeadline) {
  Load(R"({"barriers": {"sales": {"members": ["s/{date}/east.csv", "s/{date}/west.csv"], "timeout": "1h"}}})");
  Arrive(Obj("s/d1/east.csv"));
  clock_.Advance(5000);
  Arrive(Obj("s/d2/west.csv"));
  Arrive(Obj("s/d2/east.csv"));  // d2 trips (once mode)
  StatusReport r = Report();
  ASSERT_EQ(r.instances.size(), 2u);
  const InstanceStatus* d1 = Find(r, "sales", "d1");
  ASSERT_NE(d1, nullptr);
  EXPECT_EQ(d1->vars.at("date"), "d1");
  EXPECT_FALSE(d1->finished);
  EXPECT_EQ(d1->have, 1u);
  EXPECT_EQ(d1->missing, std::vector<std::string>{"s/d1/west.csv"});
  ASSERT_TRUE(d1->deadline.has_value());
  EXPECT_EQ(*d1->deadline, d1->first_arrival_at + 3'600'000);
  const InstanceStatus* d2 = Find(r, "sales", "d2");
  ASSERT_NE(d2, nullptr);
  EXPECT_TRUE(d2->finished);
  EXPECT_EQ(d2->generation, 1);
  EXPECT_EQ(d2->have, 2u);
  EXPECT_TRUE(d2->missing.empty());
  EXPECT_EQ(d2->arrived, (std::vector<std::string>{"s/d2/east.csv", "s/d2/west.csv"}));
}

TEST_F(StatusReportTest, TimeoutTripShowsItsMissingMember) {
  Load(R"({"barriers": {"sales": {"members": ["s/{date}/a", "s/{date}/b", "s/{date}/c"], "timeout": "1m"}}})");
  Arrive(Obj("s/d/a"));
  Arrive(Obj("s/d/b"));
  clock_.Advance(61'000);
  ASSERT_TRUE(engine_->Sweep().ok());
  StatusReport r = Report();
  EXPECT_EQ(Find(r, "sales", "d"), nullptr) << "the sweep that tripped it dropped it from the open index";
  auto all = BuildStatusReport(store_, parsed_.config, {.all_instances = true});
  ASSERT_TRUE(all.ok());
  r = *all;
  const InstanceStatus* s = Find(r, "sales", "d");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->finished);
  EXPECT_EQ(s->have, 2u);
  EXPECT_EQ(s->missing, std::vector<std::string>{"s/d/c"});
  ASSERT_TRUE(s->last_trip.has_value());
  EXPECT_EQ(s->last_trip->status, TripStatus::kTimeout);
  EXPECT_EQ(s->last_trip->missing, std::vector<std::string>{"s/d/c"});
}

TEST_F(StatusReportTest, PendingRedriveAndDoneReport) {
  Load(R"({"barriers": {"b": {"members": ["x", "y"], "on_complete": [{"type": "manifest", "key": "m"}]}}})");
  actions_.fail = [](const ActionSpec&, const TripRecord&) { return true; };
  Arrive(Obj("x"));
  const TimeMs failed_at = clock_.NowMs();
  auto failed = engine_->OnArrival(Obj("y"));
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ(failed->trip_failures, 1);
  StatusReport r = Report();
  const InstanceStatus* s = Find(r, "b", "_");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->pending.size(), 1u);
  EXPECT_EQ(s->pending[0].generation, 1);
  EXPECT_EQ(s->pending[0].attempts, 0);
  EXPECT_EQ(s->pending[0].failures, 1);
  ASSERT_TRUE(s->pending[0].last_failure.has_value());
  EXPECT_NE(s->pending[0].last_failure->error.find("injected action failure"), std::string::npos)
      << s->pending[0].last_failure->error;
  EXPECT_EQ(s->pending[0].last_failure->attempt, 0) << "the claimant's own attempt";
  EXPECT_EQ(s->pending[0].next_attempt_at, failed_at + parsed_.config.state.lease_ms);
  ASSERT_TRUE(s->last_trip.has_value());
  EXPECT_FALSE(s->last_trip->done);
  EXPECT_EQ(s->generation, 2);
  actions_.fail = nullptr;
  clock_.Advance(parsed_.config.state.lease_ms);  // the backoff of attempt 1: one lease
  auto swept = engine_->Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  ASSERT_EQ(swept->trips.size(), 1u);
  r = Report();
  s = Find(r, "b", "_");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->pending.empty());
  ASSERT_TRUE(s->last_trip.has_value());
  EXPECT_TRUE(s->last_trip->done);
  EXPECT_TRUE(s->last_trip->done_record.redriven);
  ASSERT_EQ(s->last_trip->done_record.actions.size(), 1u);
  EXPECT_EQ(s->last_trip->done_record.actions[0].type, "manifest");
}

TEST_F(StatusReportTest, CountLatchAndUnknownBarrierWarning) {
  Load(R"({"barriers": {"logs": {"count": 3, "prefix": "logs/{day}"}}})");
  Arrive(Obj("logs/mon/a"));
  Arrive(Obj("logs/mon/b"));
  ASSERT_TRUE(store_.PutIfAbsent(".eventbarrier/_open/gone/_", "").ok());
  StatusReport r = Report();
  ASSERT_EQ(r.instances.size(), 1u);
  EXPECT_EQ(r.instances[0].have, 2u);
  EXPECT_EQ(r.instances[0].needed, 3u);
  EXPECT_EQ(r.instances[0].missing, std::vector<std::string>{"1 more key(s) under logs/mon"});
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("gone"), std::string::npos);
}

TEST_F(StatusReportTest, StoreFailureIsReported) {
  Load(R"({"b": ["x"]})");
  test::FaultStore failing(store_, [](test::StoreOp op, const std::string&) {
    return op == test::StoreOp::kList ? test::Fault::kUnavailable : test::Fault::kNone;
  });
  auto r = BuildStatusReport(failing, parsed_.config);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace eb
