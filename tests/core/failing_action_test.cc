// A permanently failing action (issue 14, item 2): it never stops later
// generations from tripping, is re-driven with a growing backoff, shows in
// `status`, and finishes exactly once when it starts succeeding.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "core/engine.h"
#include "core/engine_fixture.h"
#include "core/status_report.h"
#include "core/trip_log.h"
#include "core/upload.h"

namespace eb {
namespace {

constexpr TimeMs kMinute = 60'000;

class FailingActionTest : public test::EngineFixture {
 protected:
  void SetUp() override {
    Load(
        R"({"barriers": {"b": {"members": ["x", "y"], "on_complete": [{"type": "manifest", "key": "m"}]}},
             "state": {"lease": "1m"}})");
    actions_.fail = [this](const ActionSpec&, const TripRecord& t) {
      return t.generation == 1 && failing_;
    };
  }
  // Both members of one generation; what tripped.
  std::vector<TripSummary> Generation(const std::string& version) {
    std::vector<TripSummary> trips;
    for (const char* key : {"x", "y"}) {
      auto r = engine_->OnArrival(test::Upload(key, version));
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) continue;
      failures_ += r->trip_failures;
      trips.insert(trips.end(), r->trips.begin(), r->trips.end());
    }
    return trips;
  }
  bool Exists(const std::string& key) { return store_.Get(".eventbarrier/b/_/t/" + key).ok(); }
  void Tally(const std::vector<TripSummary>& trips) {
    for (const auto& t : trips) ++finished_[t.generation];
  }

  bool failing_ = true;
  int failures_ = 0;
  std::map<int64_t, int> finished_;  // generation -> trip summaries (finishes)
};

TEST_F(FailingActionTest, LaterGenerationsTripWhileGenerationOneIsRedrivenWithBackoff) {
  const TimeMs lease = parsed_.config.state.lease_ms;
  const TimeMs claimed_at = clock_.NowMs();
  Tally(Generation("1"));
  EXPECT_EQ(failures_, 1) << "the claimant's attempt failed, and its arrival still succeeded";
  EXPECT_TRUE(Exists("0000000001.failed-0000"));
  EXPECT_FALSE(Exists("0000000001.done"));

  // Generations 2 and 3 trip at once, each exactly once, with their own arrivals.
  clock_.Advance(1000);
  auto second = Generation("2");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].generation, 2);
  EXPECT_EQ(second[0].objects, 2u) << "generation 1's arrivals stay in flight";
  Tally(second);
  clock_.Advance(1000);
  auto third = Generation("3");
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].generation, 3);
  Tally(third);

  // The sweeper re-drives generation 1: attempt n waits lease x 2^(n-1) after
  // the last one, capped at an hour. Sweep every 10 s for 4 hours.
  const TimeMs step = 10'000;
  std::vector<TimeMs> attempt_at = {claimed_at};  // [0]: the claim
  for (TimeMs t = 0; t < 4 * 60 * kMinute; t += step) {
    clock_.Advance(step);
    auto swept = engine_->Sweep();
    ASSERT_TRUE(swept.ok()) << swept.status().ToString();
    failures_ += swept->trip_failures;
    Tally(swept->trips);
    const int next = static_cast<int>(attempt_at.size());
    char key[32];
    std::snprintf(key, sizeof key, "0000000001.attempt-%04d", next);
    if (Exists(key)) attempt_at.push_back(clock_.NowMs());
    EXPECT_LE(swept->trip_failures, 1) << "one re-driver an attempt";
  }
  // 1 + 2 + 4 + 8 + 16 + 32 + 60 + 60 + 60 minutes = 243 > 240: eight attempts in four hours.
  ASSERT_EQ(attempt_at.size(), 9u);
  for (size_t n = 1; n < attempt_at.size(); ++n) {
    const TimeMs wait = std::min(lease << (n - 1), kMaxRedriveBackoffMs);
    const TimeMs gap = attempt_at[n] - attempt_at[n - 1];
    EXPECT_GE(gap, wait) << "attempt " << n;
    EXPECT_LT(gap, wait + 2 * step + 2000) << "attempt " << n << " is not late either";
  }
  EXPECT_EQ(failures_, 9) << "the claim and eight re-drives";
  EXPECT_EQ(actions_.runs()["b/_/1"], 9);
  EXPECT_FALSE(Exists("0000000001.done"));

  // Generation 4 trips in the middle of it all.
  Tally(Generation("4"));
  EXPECT_EQ(finished_[4], 1);

  // `status` shows the failing trip: attempts, the last error, the next retry.
  auto report = BuildStatusReport(store_, parsed_.config);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->instances.size(), 1u);
  const InstanceStatus& s = report->instances[0];
  ASSERT_EQ(s.pending.size(), 1u);
  EXPECT_EQ(s.pending[0].generation, 1);
  EXPECT_EQ(s.pending[0].attempts, 8);
  EXPECT_EQ(s.pending[0].failures, 9);
  ASSERT_TRUE(s.pending[0].last_failure.has_value());
  EXPECT_EQ(s.pending[0].last_failure->attempt, 8);
  EXPECT_NE(s.pending[0].last_failure->error.find("injected action failure"), std::string::npos);
  EXPECT_EQ(s.pending[0].next_attempt_at, s.pending[0].last_activity + kMaxRedriveBackoffMs);
  EXPECT_EQ(s.generation, 5);

  // The action recovers: generation 1 finishes exactly once, at its next retry.
  failing_ = false;
  for (TimeMs t = 0; t < 3 * 60 * kMinute; t += step) {
    clock_.Advance(step);
    auto swept = engine_->Sweep();
    ASSERT_TRUE(swept.ok()) << swept.status().ToString();
    EXPECT_EQ(swept->trip_failures, 0);
    Tally(swept->trips);
  }
  EXPECT_TRUE(Exists("0000000001.done"));
  EXPECT_EQ(actions_.runs()["b/_/1"], 10);
  EXPECT_EQ(finished_, (std::map<int64_t, int>{{1, 1}, {2, 1}, {3, 1}, {4, 1}}));
  for (int64_t g : {2, 3, 4}) EXPECT_EQ(actions_.runs()["b/_/" + std::to_string(g)], 1) << g;
  report = BuildStatusReport(store_, parsed_.config);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->instances[0].pending.empty());
}

// Without a sweeper, the arrivals of later generations re-drive a due trip
// themselves, and a failing re-drive does not fail them.
TEST_F(FailingActionTest, ArrivalsRedriveADueTripAndStillSucceed) {
  Tally(Generation("1"));
  clock_.Advance(parsed_.config.state.lease_ms);
  auto trips = Generation("2");
  EXPECT_EQ(failures_, 2)
      << "the claim, then the re-drive by the arrival that completes generation 2";
  EXPECT_TRUE(Exists("0000000001.attempt-0001"));
  EXPECT_TRUE(Exists("0000000001.failed-0001"));
  ASSERT_EQ(trips.size(), 1u);
  EXPECT_EQ(trips[0].generation, 2);
  failing_ = false;
  clock_.Advance(2 * parsed_.config.state.lease_ms);
  trips = Generation("3");
  ASSERT_EQ(trips.size(), 2u) << "the re-drive of 1, then 3";
  EXPECT_EQ(trips[0].generation, 1);
  EXPECT_TRUE(trips[0].redriven);
  EXPECT_EQ(trips[1].generation, 3);
}

// A once-mode instance whose only trip keeps failing: its arrival succeeds,
// and the instance is not reported finished while the trip is unfinished.
TEST_F(FailingActionTest, OnceModeTripStaysUnfinishedUntilItsActionsSucceed) {
  Load(R"({"barriers": {"b": {"members": ["x", "y"], "mode": "once",
             "on_complete": [{"type": "manifest", "key": "m"}]}}, "state": {"lease": "1m"}})");
  Tally(Generation("1"));
  EXPECT_EQ(failures_, 1);
  failing_ = false;
  clock_.Advance(parsed_.config.state.lease_ms);
  auto swept = engine_->Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  ASSERT_EQ(swept->trips.size(), 1u);
  EXPECT_TRUE(swept->trips[0].redriven);
  EXPECT_TRUE(Exists("0000000001.done"));
}

}  // namespace
}  // namespace eb
