// Configuration changes on a live deployment (docs/OPERATORS.md, "Changing
// the configuration of a live deployment"): for each change, what the engine
// does with the instances open under the old configuration, and that
// PreviewConfiguration (`validate --against`) says so beforehand.
#include "core/config_preview.h"

#include <gtest/gtest.h>

#include "core/engine.h"
#include "core/status_report.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

constexpr TimeMs kMinute = 60 * 1000;

class ConfigChangeTest : public ::testing::Test {
 protected:
  const Config& Use(const std::string& json) {
    configs_.push_back(std::make_unique<ConfigParse>(ParseConfig(json)));
    if (!configs_.back()->ok())
      throw std::runtime_error("bad test configuration: " + configs_.back()->ErrorText());
    return configs_.back()->config;
  }
  std::vector<TripSummary> Arrive(const Config& c, const std::string& key, int seq = 1) {
    Engine engine(c, store_, actions_, clock_, Logger::Null());
    auto r = engine.OnArrival(test::Upload(key, std::to_string(seq)));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->trips : std::vector<TripSummary>{};
  }
  SweepOutcome Sweep(const Config& c) {
    Engine engine(c, store_, actions_, clock_, Logger::Null());
    auto r = engine.Sweep();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : SweepOutcome{};
  }
  InstancePreview Preview(const Config& c, const std::string& barrier,
                          const std::string& instance = "_") {
    auto p = PreviewConfiguration(store_, c, clock_.NowMs(), 1000);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (p.ok()) {
      for (const auto& i : p->instances) {
        if (i.barrier == barrier && i.instance == instance) return i;
      }
    }
    ADD_FAILURE() << "no preview of " << barrier << "/" << instance;
    return {};
  }
  static std::string Notes(const InstancePreview& p) {
    std::string out;
    for (const auto& n : p.notes) out += n + "\n";
    return out;
  }

  FakeClock clock_;
  MemoryStore store_{clock_};
  test::RecordingActions actions_;
  std::vector<std::unique_ptr<ConfigParse>> configs_;
};

// An open generation is judged by the configuration in force at its claim:
// a member added while it is open is needed by it too.
TEST_F(ConfigChangeTest, MemberAddedTheOpenGenerationWaitsForIt) {
  const Config& old_config = Use(R"({"b": ["in/m0", "in/m1"]})");
  Arrive(old_config, "in/m0");
  ASSERT_EQ(Arrive(old_config, "in/m1").size(), 1u);
  Arrive(old_config, "in/m0", 2);  // generation 2 opens
  const Config& next = Use(R"({"b": ["in/m0", "in/m1", "in/m2"]})");
  auto p = Preview(next, "b");
  EXPECT_EQ(p.outcome, PreviewOutcome::kWaits);
  EXPECT_EQ(p.generation, 2);
  EXPECT_TRUE(p.affected);
  EXPECT_EQ(p.missing, (std::vector<std::string>{"in/m1", "in/m2"}));
  EXPECT_NE(Notes(p).find("1 member added since generation 1: in/m2"), std::string::npos)
      << Notes(p);

  EXPECT_TRUE(Arrive(next, "in/m1", 2).empty())
      << "complete under the old members, not under the new";
  auto trips = Arrive(next, "in/m2", 2);
  ASSERT_EQ(trips.size(), 1u);
  EXPECT_EQ(trips[0].generation, 2);
  EXPECT_EQ(trips[0].objects, 3u);
}

// A member removed: the open generation no longer needs it. If what is there
// completes the new member list, the next arrival or sweep trips it.
TEST_F(ConfigChangeTest, MemberRemovedTheOpenGenerationTripsWithoutIt) {
  const Config& old_config = Use(R"({"b": ["in/m0", "in/m1", "in/m2"]})");
  Arrive(old_config, "in/m0");
  Arrive(old_config, "in/m1");
  const Config& next = Use(R"({"b": ["in/m0", "in/m1"]})");
  auto p = Preview(next, "b");
  EXPECT_EQ(p.outcome, PreviewOutcome::kTrips) << Notes(p);
  EXPECT_TRUE(p.affected);
  auto swept = Sweep(next);
  ASSERT_EQ(swept.trips.size(), 1u);
  EXPECT_EQ(swept.trips[0].status, TripStatus::kComplete);
  EXPECT_EQ(swept.trips[0].objects, 2u);
}

// Arrivals of a removed member complete nothing; the next trip consumes them
// with the rest (its manifest names no member for them), so none lingers.
TEST_F(ConfigChangeTest, ArrivalsOfARemovedMemberGoWithTheNextTrip) {
  const Config& old_config = Use(
      R"({"barriers": {"b": {"members": ["in/m0", "in/m1", "in/m2"], "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  Arrive(old_config, "in/m0");
  Arrive(old_config, "in/m2");
  const Config& next = Use(
      R"({"barriers": {"b": {"members": ["in/m0", "in/m1"], "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  auto p = Preview(next, "b");
  EXPECT_EQ(p.outcome, PreviewOutcome::kWaits);
  EXPECT_EQ(p.missing, (std::vector<std::string>{"in/m1"}));
  EXPECT_NE(Notes(p).find("1 arrival of members no longer in the barrier (in/m2)"),
            std::string::npos)
      << Notes(p);
  ASSERT_EQ(Arrive(next, "in/m1").size(), 1u);
  const TripRecord& trip = actions_.last_trip().at("b/_/1");
  ASSERT_EQ(trip.arrivals.size(), 3u);
  int unnamed = 0;
  for (const auto& c : trip.arrivals) unnamed += c.member.empty() ? 1 : 0;
  EXPECT_EQ(unnamed, 1);
  EXPECT_TRUE(ListAll(store_, ".eventbarrier/b/_/a/")->empty());
}

// A barrier deleted (or renamed: deleted under its old name): its open
// instances are left alone, never silently orphaned: the preview names them,
// `status` warns, the sweeper skips them and keeps their state.
TEST_F(ConfigChangeTest, BarrierDeletedOrRenamedItsOpenInstancesAreReported) {
  const Config& old_config = Use(R"({"old": ["in/{day}/m0", "in/{day}/m1"], "other": ["x/a"]})");
  Arrive(old_config, "in/d1/m0");
  const Config& renamed = Use(R"({"new": ["in/{day}/m0", "in/{day}/m1"], "other": ["x/a"]})");
  auto p = Preview(renamed, "old", "d1");
  EXPECT_EQ(p.outcome, PreviewOutcome::kOrphaned);
  EXPECT_TRUE(p.affected);
  EXPECT_NE(Notes(p).find("1 arrival marker will never trip"), std::string::npos) << Notes(p);
  EXPECT_NE(Notes(p).find(".eventbarrier/old/d1/"), std::string::npos) << Notes(p);

  auto swept = Sweep(renamed);
  EXPECT_TRUE(swept.trips.empty());
  EXPECT_EQ(ListAll(store_, ".eventbarrier/old/d1/a/")->size(), 1u) << "state kept";
  EXPECT_TRUE(store_.Get(".eventbarrier/_open/old/d1").ok()) << "still indexed, still reported";
  auto report = BuildStatusReport(store_, renamed);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_NE(report->warnings[0].find("old/d1"), std::string::npos);
  // The renamed barrier starts from nothing: the next m1 counts for new/d1 only.
  EXPECT_TRUE(Arrive(renamed, "in/d1/m1").empty());
  EXPECT_EQ(Preview(renamed, "new", "d1").missing, (std::vector<std::string>{"in/d1/m0"}));
}

// Variables changed: the old instance names no longer fit; treated as orphans.
TEST_F(ConfigChangeTest, VariablesChangedTheOldInstancesNoLongerFit) {
  const Config& old_config = Use(R"({"b": ["in/{day}/m0", "in/{day}/m1"]})");
  Arrive(old_config, "in/d1/m0");
  const Config& next = Use(R"({"b": ["in/{day}/{hour}/m0", "in/{day}/{hour}/m1"]})");
  auto p = Preview(next, "b", "d1");
  EXPECT_EQ(p.outcome, PreviewOutcome::kUnfit);
  EXPECT_TRUE(p.affected);
  EXPECT_TRUE(Sweep(next).trips.empty());
  EXPECT_EQ(ListAll(store_, ".eventbarrier/b/d1/a/")->size(), 1u);
}

// A timeout shortened: an open generation whose first arrival is older than
// the new timeout times out at the next sweep; lengthened: it waits longer.
TEST_F(ConfigChangeTest, TimeoutChangedAppliesToTheOpenGeneration) {
  const Config& old_config =
      Use(R"({"barriers": {"b": {"members": ["in/m0", "in/m1"], "timeout": "1h"}}})");
  Arrive(old_config, "in/m0");
  clock_.Advance(30 * kMinute);
  const Config& longer =
      Use(R"({"barriers": {"b": {"members": ["in/m0", "in/m1"], "timeout": "2h"}}})");
  auto waits = Preview(longer, "b");
  EXPECT_EQ(waits.outcome, PreviewOutcome::kWaits);
  EXPECT_FALSE(waits.affected);
  EXPECT_NE(Notes(waits).find("times out at"), std::string::npos);
  clock_.Advance(45 * kMinute);  // 75 minutes: past the old timeout, not the new one
  EXPECT_TRUE(Sweep(longer).trips.empty());

  const Config& shorter =
      Use(R"({"barriers": {"b": {"members": ["in/m0", "in/m1"], "timeout": "10m"}}})");
  auto p = Preview(shorter, "b");
  EXPECT_EQ(p.outcome, PreviewOutcome::kTimesOut);
  EXPECT_TRUE(p.affected);
  auto swept = Sweep(shorter);
  ASSERT_EQ(swept.trips.size(), 1u);
  EXPECT_EQ(swept.trips[0].status, TripStatus::kTimeout);
}

// An unfinished trip keeps its record (arrivals, status, idempotency key)
// and runs the actions of the configuration in force when it is re-driven.
TEST_F(ConfigChangeTest, UnfinishedTripRunsTheNewActions) {
  const Config& old_config = Use(
      R"({"barriers": {"b": {"members": ["in/m0", "in/m1"], "on_complete": [{"type": "manifest", "key": "old"}]}}})");
  actions_.fail = [](const ActionSpec&, const TripRecord&) { return true; };
  Arrive(old_config, "in/m0");
  Engine failing(old_config, store_, actions_, clock_, Logger::Null());
  auto failed = failing.OnArrival(test::Upload("in/m1"));
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ(failed->trip_failures, 1);
  std::vector<std::string> ran;
  actions_.fail = [&ran](const ActionSpec& a, const TripRecord&) {
    ran.push_back(a.fields.at("key"));
    return false;
  };
  const Config& next = Use(
      R"({"barriers": {"b": {"members": ["in/m0", "in/m1"], "on_complete": [{"type": "manifest", "key": "new"}]}}})");
  auto p = Preview(next, "b");
  EXPECT_TRUE(p.affected);
  EXPECT_NE(Notes(p).find("1 unfinished trip (generation 1)"), std::string::npos) << Notes(p);
  clock_.Advance(10 * kMinute);  // past the lease
  auto swept = Sweep(next);
  ASSERT_EQ(swept.trips.size(), 1u);
  EXPECT_TRUE(swept.trips[0].redriven);
  EXPECT_EQ(ran, (std::vector<std::string>{"new"}));
  EXPECT_EQ(actions_.last_trip().at("b/_/1").arrivals.size(), 2u)
      << "the record claimed under the old one";
}

// Mode changed to once: an instance that tripped as a cyclic barrier never
// trips again.
TEST_F(ConfigChangeTest, ModeChangedToOnceEndsACyclicInstance) {
  const Config& old_config = Use(R"({"b": ["in/m0", "in/m1"]})");
  for (int seq = 1; seq <= 2; ++seq) {
    Arrive(old_config, "in/m0", seq);
    Arrive(old_config, "in/m1", seq);
  }
  Arrive(old_config, "in/m0", 3);
  const Config& once =
      Use(R"({"barriers": {"b": {"members": ["in/m0", "in/m1"], "mode": "once"}}})");
  auto p = Preview(once, "b");
  EXPECT_EQ(p.outcome, PreviewOutcome::kFinished);
  EXPECT_TRUE(p.affected);
  EXPECT_TRUE(Arrive(once, "in/m1", 3).empty());
}

TEST_F(ConfigChangeTest, UnchangedConfigurationAffectsNothing) {
  const Config& c = Use(R"({"b": ["in/{day}/m0", "in/{day}/m1"]})");
  Arrive(c, "in/d1/m0");
  Arrive(c, "in/d2/m0");
  Arrive(c, "in/d2/m1");
  auto preview = PreviewConfiguration(store_, c, clock_.NowMs(), 1000);
  ASSERT_TRUE(preview.ok());
  EXPECT_EQ(preview->open, 2u);
  for (const auto& i : preview->instances)
    EXPECT_FALSE(i.affected) << i.instance << ": " << Notes(i);
}

}  // namespace
}  // namespace eb
