// The sweeper (core/sweeper.h): deadline inside the walk, the cursor, one
// request per idle instance, idle instances leaving the index and coming back.
#include "core/sweeper.h"

#include <gtest/gtest.h>

#include <set>

#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "fakes/latency_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using test::RecordingActions;

constexpr const char* kConfig =
    R"({"barriers": {"d": {"members": ["in/{day}/a.csv", "in/{day}/b.csv"], "timeout": "1h",
                                  "mode": "cyclic"}}})";

class SweeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parsed_ = ParseConfig(kConfig);
    ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
    options_.open_cache_ttl_ms = 10 * 60 * 1000;
    options_.max_clock_skew_ms = 0;
    options_.leave_recheck_after_ms = 60 * 1000;
    arrivals_ = std::make_unique<Engine>(parsed_.config, store_, actions_, clock_, Logger::Null(),
                                         options_);
    sweeper_ = std::make_unique<Engine>(parsed_.config, counted_, actions_, clock_, Logger::Null(),
                                        options_);
  }
  void Arrive(const std::string& key, const std::string& sequencer = "1") {
    auto r = arrivals_->OnArrival(test::Upload(key, sequencer));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  std::string Day(int i) { return "d" + std::to_string(1000 + i); }
  int Indexed() {
    auto open = ListAll(store_, ".eventbarrier/_open/");
    return open.ok() ? static_cast<int>(open->size()) : -1;
  }

  FakeClock clock_;
  MemoryStore store_{clock_};
  test::CountingStore counted_{store_};
  RecordingActions actions_;
  ConfigParse parsed_;
  EngineOptions options_;
  std::unique_ptr<Engine> arrivals_, sweeper_;
};

TEST_F(SweeperTest, IdleInstanceCostsOneRequestThenLeavesAndComesBack) {
  for (int i = 0; i < 20; ++i) {
    Arrive("in/" + Day(i) + "/a.csv");
    Arrive("in/" + Day(i) + "/b.csv");  // tripped: idle from now on
  }
  ASSERT_EQ(Indexed(), 20);
  ASSERT_TRUE(sweeper_->Sweep().ok());  // the first: the cursor is written
  counted_.Reset();
  auto s = sweeper_->Sweep();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->idle, 20);
  EXPECT_EQ(s->left, 0) << "idle for less than the cache TTL: stays";
  // One LIST per instance; fixed: cursor GET+PUT, LIST of _sweep/left/, one LIST page of the index.
  EXPECT_EQ(counted_.total(), 20 + 4);

  clock_.Advance(11 * 60 * 1000);
  counted_.Reset();
  s = sweeper_->Sweep();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->left, 20);
  EXPECT_EQ(Indexed(), 0);
  // One LIST each, one bulk delete and the list of leavers on top of the fixed four.
  EXPECT_EQ(counted_.total(), 20 + 4 + 2);

  counted_.Reset();
  s = sweeper_->Sweep();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->instances, 0);
  EXPECT_EQ(s->rechecked, 0) << "not before leave_recheck_after_ms";
  EXPECT_EQ(counted_.total(), 4);

  // A new arrival re-indexes the instance itself (its GET of the index finds none).
  Arrive("in/" + Day(3) + "/a.csv", "2");  // a new upload (not a copy of the consumed one)
  EXPECT_EQ(Indexed(), 1);
  clock_.Advance(2 * 60 * 1000);
  s = sweeper_->Sweep();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rechecked, 20);
  EXPECT_EQ(s->reindexed, 1) << "the instance with a new marker";
  EXPECT_EQ(s->instances, 1);
}

// A cyclic barrier without variables has one instance, open for good: its
// arrivals neither read nor write the open index. The sweeper creates the
// entry when it is missing, so a marker whose arrival died before it could
// trip is still reached, and keeps it however long the instance is idle.
TEST(SweeperKeptIndexTest, TheOneInstanceOfACyclicBarrierWithoutVariables) {
  FakeClock clock;
  MemoryStore store(clock);
  // Reads and writes of an index entry (a fresh state's format check lists the index once).
  test::WatchedStore index_calls(store, [](test::StoreOp op, const std::string& key) {
    return op != test::StoreOp::kList && key.find("/_open/") != std::string::npos;
  });
  RecordingActions actions;
  ConfigParse parsed = ParseConfig(R"({"b": ["in/a.csv", "in/b.csv"]})");
  ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
  EngineOptions options;
  options.open_cache_ttl_ms = 10 * 60 * 1000;
  options.max_clock_skew_ms = 0;
  Engine arrivals(parsed.config, index_calls.store, actions, clock, Logger::Null(), options);
  ASSERT_TRUE(arrivals.OnArrival(test::Upload("in/a.csv")).ok());
  // The completing arrival dies after writing its marker (its LIST fails, and
  // no redelivery ever comes).
  test::FaultStore dying(index_calls.store, [&](test::StoreOp op, const std::string&) {
    return op == test::StoreOp::kList ? test::Fault::kUnavailable : test::Fault::kNone;
  });
  Engine cold(parsed.config, dying, actions, clock, Logger::Null(), options);
  EXPECT_FALSE(cold.OnArrival(test::Upload("in/b.csv")).ok());
  EXPECT_TRUE(ListAll(store, ".eventbarrier/_open/")->empty()) << "no arrival wrote the index";
  EXPECT_EQ(index_calls.count, 0) << "nor read it";

  Engine sweeper(parsed.config, store, actions, clock, Logger::Null(), options);
  auto s = sweeper.Sweep();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->trips.size(), 1u) << "the sweeper indexed the instance and tripped it";
  EXPECT_EQ(ListAll(store, ".eventbarrier/_open/")->size(), 1u);
  clock.Advance(24 * 60 * 60 * 1000);  // idle far longer than any cache of the index
  for (int i = 0; i < 3; ++i) {
    s = sweeper.Sweep();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->left, 0) << "the instance the sweeper keeps never leaves";
    EXPECT_EQ(s->idle, 1);
  }
  EXPECT_EQ(ListAll(store, ".eventbarrier/_open/")->size(), 1u);
}

// The sweep that adds the kept entry visits it first thing, without moving
// the mark of "indexed since the last look": an instance an arrival indexed
// while that sweep ran (after its LIST of the index, before its PUT of the
// kept entry) is still new to the next sweep, which visits it first rather
// than when the rotation comes round to it.
TEST(SweeperKeptIndexTest, AnInstanceIndexedWhileTheKeptEntryIsAddedIsNewToTheNextSweep) {
  FakeClock clock;
  MemoryStore store(clock);
  RecordingActions actions;
  ConfigParse parsed = ParseConfig(
      R"({"barriers": {"b": {"members": ["fixed/a.csv", "fixed/b.csv"], "mode": "cyclic"},
                       "d": {"members": ["in/{day}/a.csv", "in/{day}/b.csv"], "timeout": "1h",
                             "mode": "cyclic"}}})");
  ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
  EngineOptions options;
  options.open_cache_ttl_ms = 10 * 60 * 1000;
  options.max_clock_skew_ms = 0;
  Engine arrivals(parsed.config, store, actions, clock, Logger::Null(), options);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        arrivals.OnArrival(test::Upload("in/d" + std::to_string(1000 + i) + "/a.csv")).ok());
  }
  // While the first sweep adds the kept entry, instance d9999 is indexed and
  // both its markers written; the completing arrival dies (its LIST fails).
  test::FaultStore dying(store, [](test::StoreOp op, const std::string&) {
    return op == test::StoreOp::kList ? test::Fault::kUnavailable : test::Fault::kNone;
  });
  Engine cold(parsed.config, dying, actions, clock, Logger::Null(), options);
  bool raced = false;
  test::FaultStore racing(store, [&](test::StoreOp op, const std::string& key) {
    if (op == test::StoreOp::kPutIfAbsent && key == ".eventbarrier/_open/b/_" && !raced) {
      raced = true;
      EXPECT_TRUE(arrivals.OnArrival(test::Upload("in/d9999/a.csv")).ok());
      EXPECT_FALSE(cold.OnArrival(test::Upload("in/d9999/b.csv")).ok());
      clock.Advance(1);  // the kept entry's PUT ends after
    }
    return test::Fault::kNone;
  });
  test::FakeLatencyStore slow(racing, clock, 100);  // 100 ms a call
  Engine sweeper(parsed.config, slow, actions, clock, Logger::Null(), options);
  SweepOptions all;
  all.parallel = 1;
  auto s = sweeper.Sweep(all);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE(raced);
  EXPECT_TRUE(s->trips.empty()) << "d9999 was not in this sweep's listing";
  // The next sweep has time for a few visits of 21 (the index's fixed calls,
  // then a LIST each); d9999 sorts last in the rotation.
  SweepOptions few;
  few.parallel = 1;
  few.deadline_ms = clock.NowMs() + 1000;
  s = sweeper.Sweep(few);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->deadline_reached);
  ASSERT_EQ(s->trips.size(), 1u) << "d9999, indexed since the last look, is visited first";
  EXPECT_EQ(s->trips[0].instance, "d9999");
}

TEST_F(SweeperTest, PendingInstanceIsEvaluatedOnlyOnceDue) {
  for (int i = 0; i < 20; ++i)
    Arrive("in/" + Day(i) + "/a.csv");  // b.csv missing: pending, 1 h timeout
  ASSERT_TRUE(sweeper_->Sweep().ok());
  counted_.Reset();
  auto s = sweeper_->Sweep();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->instances, 20);
  EXPECT_EQ(s->waiting, 20);
  EXPECT_TRUE(s->trips.empty());
  // Its probe shows it cannot complete and its timeout is not due: one LIST
  // each and no evaluation (which would list t/ too), plus the fixed four.
  EXPECT_EQ(counted_.total(), 20 + 4);

  // A marker the probe cannot judge alone (the set looks complete) is evaluated.
  Arrive("in/" + Day(0) + "/b.csv");  // trips on arrival: idle from now on
  clock_.Advance(61 * 60 * 1000);
  s = sweeper_->Sweep();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->waiting, 0);
  EXPECT_EQ(s->idle, 1);
  ASSERT_EQ(s->trips.size(), 19u)
      << "every overdue instance times out in the first sweep after it is due";
  for (const auto& t : s->trips) EXPECT_EQ(t.status, TripStatus::kTimeout);
}

TEST_F(SweeperTest, ArrivalTrustingAStaleCacheIsCaughtByTheRecheck) {
  Arrive("in/" + Day(1) + "/a.csv");
  Arrive("in/" + Day(1) + "/b.csv");
  // This process saw the index (a marker was written) and trusts it for the TTL.
  clock_.Advance(11 * 60 * 1000);
  ASSERT_TRUE(sweeper_->Sweep().ok());
  auto s = sweeper_->Sweep();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(Indexed(), 0) << "left";
  // A process whose cache entry is fresh (another engine that saw the index
  // just before the deletion) writes a marker without reading the index.
  Engine cached(parsed_.config, store_, actions_, clock_, Logger::Null(), options_);
  // Seen by this engine at the same moment as the deletion: simulated by an
  // arrival that re-creates and then a manual delete of the entry.
  ASSERT_TRUE(cached.OnArrival(test::Upload("in/" + Day(1) + "/a.csv", "2")).ok());
  ASSERT_TRUE(store_.Delete(".eventbarrier/_open/d/" + Day(1)).ok());
  ASSERT_TRUE(
      cached.OnArrival(test::Upload("in/" + Day(2) + "/a.csv")).ok());  // another instance, indexed
  clock_.Advance(2 * 60 * 1000);
  s = sweeper_->Sweep();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->reindexed, 1) << "the marker newer than what the leaving sweep saw";
  EXPECT_EQ(Indexed(), 2);
  // And its timeout is found: due an hour after its marker.
  clock_.Advance(61 * 60 * 1000);
  s = sweeper_->Sweep();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->trips.size(), 2u) << "both instances time out";
}

TEST_F(SweeperTest, SweepsCutByTheDeadlineVisitEveryInstanceInTurn) {
  const int n = 60;
  for (int i = 0; i < n; ++i) Arrive("in/" + Day(i) + "/a.csv");  // pending, no timeout yet
  test::FakeLatencyStore slow(store_, clock_, 100);               // 100 ms a call
  Engine sweeper(parsed_.config, slow, actions_, clock_, Logger::Null(), options_);
  ASSERT_TRUE(sweeper.Sweep().ok());  // everything is new: visited once, due in an hour
  int sweeps = 0, visited = 0;
  // Each sweep may run 3 s: about 9 instances of 60 (a LIST of the instance,
  // then its evaluation: LIST t/, GET head), 300 ms each.
  for (; sweeps < 20 && visited < n; ++sweeps) {
    SweepOptions o;
    o.deadline_ms = clock_.NowMs() + 3000;
    auto s = sweeper.Sweep(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_LT(s->instances, n) << "cut by the deadline";
    EXPECT_TRUE(s->deadline_reached);
    visited += s->instances;
  }
  EXPECT_GE(visited, n) << "the rotation went on where each sweep stopped";
  EXPECT_LE(sweeps, 8);
  // An hour later every instance is due: the due ones go first, each sweep
  // trips what it reaches, and the next one goes on.
  clock_.Advance(61 * 60 * 1000);
  int trips = 0;
  for (int k = 0; k < 40 && trips < n; ++k) {
    SweepOptions o;
    o.deadline_ms = clock_.NowMs() + 5000;
    auto s = sweeper.Sweep(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    trips += static_cast<int>(s->trips.size());
  }
  EXPECT_EQ(trips, n);
}

TEST_F(SweeperTest, CursorRoundTripsAndNamesABadField) {
  SweepCursor c;
  c.after = ".eventbarrier/_open/d/x";
  c.lap_started = 5;
  c.compacting = true;
  c.due["k"] = 9;
  auto back = ParseSweepCursor(SerializeSweepCursor(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->after, c.after);
  EXPECT_TRUE(back->compacting);
  EXPECT_EQ(back->due.at("k"), 9);
  auto bad = ParseSweepCursor(R"({"after": 3})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("'after'"), std::string::npos);
}

TEST_F(SweeperTest, ScheduledCompactionRunsOnceALap) {
  Arrive("in/" + Day(1) + "/a.csv");
  SweepOptions o;
  o.compact_every_ms = 24LL * 3600 * 1000;
  auto s = sweeper_->Sweep(o);
  ASSERT_TRUE(s.ok());
  auto cursor = store_.Get(".eventbarrier/_sweep/cursor");
  ASSERT_TRUE(cursor.ok());
  auto parsed = ParseSweepCursor(*cursor);
  ASSERT_TRUE(parsed.ok());
  EXPECT_GT(parsed->compacted_lap, 0) << "the first lap compacts";
  EXPECT_FALSE(parsed->expire_pending) << "tombstones expired at the end of that sweep";
  TimeMs first = parsed->compacted_lap;
  clock_.Advance(3600 * 1000);
  ASSERT_TRUE(sweeper_->Sweep(o).ok());
  parsed = ParseSweepCursor(*store_.Get(".eventbarrier/_sweep/cursor"));
  EXPECT_EQ(parsed->compacted_lap, first) << "not again within the day";
}

}  // namespace
}  // namespace eb
