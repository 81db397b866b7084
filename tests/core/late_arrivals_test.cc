// Issue 14: late arrivals are visible in `status`: a re-upload after a
// once-mode instance tripped (never consumed), and a straggler of a member a
// timeout trip went without. `status` reads state the report reads anyway.
#include <gtest/gtest.h>

#include "core/engine.h"
#include "core/engine_fixture.h"
#include "core/status_report.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
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
