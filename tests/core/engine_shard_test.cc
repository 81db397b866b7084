// Wide barriers (docs/PROTOCOL.md, "Wide barriers"): markers in shards, shard
// hints, the full evaluation once the hints say the barrier may be complete.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "core/engine.h"
#include "core/marker_details.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using test::RecordingActions;

Arrival Obj(const std::string& key, const std::string& sequencer = "1") { return test::Upload(key, sequencer); }

// Five members m0..m4 in shards of two: three shards (2 + 2 + 1).
constexpr const char* kWide = R"({"barriers": {"w": {"members": ["m0", "m1", "m2", "m3", "m4"], "mode": "cyclic",
                                  "on_complete": [{"type": "manifest", "key": "out/{generation}"}]}}})";

class ShardedEngineTest : public ::testing::Test {
 protected:
  void Load(const std::string& json, int shard_size = 2) {
    parsed_ = ParseConfig(json);
    if (!parsed_.ok()) throw std::runtime_error("bad test configuration: " + parsed_.ErrorText());
    options_.shard_size = shard_size;
    engine_ = std::make_unique<Engine>(parsed_.config, counting_, actions_, clock_, Logger::Null(), options_);
  }
  std::vector<TripSummary> Arrive(const Arrival& a) {
    auto r = engine_->OnArrival(a);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->trips : std::vector<TripSummary>{};
  }
  std::vector<std::string> Keys(const std::string& under) {
    std::vector<std::string> keys;
    auto all = ListAll(store_, ".eventbarrier/" + under);
    if (all.ok()) {
      for (const auto& o : *all) keys.push_back(o.key.substr(under.size() + 14));
    }
    return keys;
  }
  // What an arrival of barrier "w" writes before it evaluates anything (the
  // open index and its marker, in its shard of 2), as if it died right after.
  void WriteMarkerOnly(const std::string& member) {
    StateKey marker = StateKey::Arrival("w", "_", MemberTag(member), ArrivalId(Obj(member)));
    marker.shard = ShardPlan(parsed_.config.barriers[0], 2).ShardOf(marker.tag);
    Status format = store_.PutIfAbsent(".eventbarrier/_format", kFormatBody);
    EXPECT_TRUE(format.ok() || format.IsAlreadyExists());
    Status open = store_.PutIfAbsent(".eventbarrier/_open/w/_", "");
    EXPECT_TRUE(open.ok() || open.IsAlreadyExists());
    EXPECT_TRUE(store_.PutIfAbsent(engine_->layout().Encode(marker),
                                   SerializeMarker({marker.id, member, marker.tag, Obj(member)})).ok());
  }
  FakeClock clock_;
  MemoryStore store_{clock_};
  test::CountingStore counting_{store_};
  RecordingActions actions_;
  EngineOptions options_;
  ConfigParse parsed_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(ShardedEngineTest, TripsOnceWithMarkersInShards) {
  Load(kWide);
  for (int m = 0; m < 4; ++m) EXPECT_TRUE(Arrive(Obj("m" + std::to_string(m))).empty());
  std::vector<std::string> markers = Keys("w/_/a/");
  ASSERT_EQ(markers.size(), 4u);
  for (const auto& k : markers) EXPECT_EQ(k.size() > 5 && k[4] == '/', true) << "not in a shard: " << k;
  auto trips = Arrive(Obj("m4"));
  ASSERT_EQ(trips.size(), 1u);
  EXPECT_EQ(trips[0].objects, 5u);
  EXPECT_TRUE(Keys("w/_/a/").empty()) << "consumed markers deleted";
  EXPECT_TRUE(Keys("w/_/h/").empty()) << "the tripped generation's hints deleted";
  EXPECT_TRUE(Arrive(Obj("m4")).empty()) << "a duplicate counts nothing";
  EXPECT_EQ(actions_.runs().size(), 1u);
}

TEST_F(ShardedEngineTest, NarrowBarrierKeepsTheUnshardedLayout) {
  Load(R"({"b": ["x", "y"]})", 2);
  Arrive(Obj("x"));
  std::vector<std::string> markers = Keys("b/_/a/");
  ASSERT_EQ(markers.size(), 1u);
  // <tag>.<id>.<details>: no shard directory, the manifest fields in the name.
  EXPECT_EQ(markers[0], MemberTag("x") + "." + ArrivalId(Obj("x")) + "." +
                            EncodeMarkerDetails(Obj("x"), MemberTag("x"), ArrivalId(Obj("x"))));
  EXPECT_EQ(markers[0], MemberTag("x") + "." + ArrivalId(Obj("x")) + ".10,etag-x-1,,bkt,2026-11-24T06%3A00%3A00.000Z,x");
}

TEST_F(ShardedEngineTest, ArrivalThatCompletesNoShardCostsTwoRequests) {
  Load(kWide);
  // One member of each two-member shard (which members share a shard follows
  // from their tags): none of their shards is complete.
  ShardPlan plan(parsed_.config.barriers[0], 2);
  std::map<int, std::vector<std::string>> by_shard;
  for (int m = 0; m < 5; ++m) by_shard[plan.ShardOf(MemberTag("m" + std::to_string(m)))].push_back("m" + std::to_string(m));
  std::vector<std::string> lonely;
  for (const auto& [shard, members] : by_shard) {
    if (members.size() == 2) lonely.push_back(members[0]);
  }
  ASSERT_EQ(lonely.size(), 2u);
  Arrive(Obj(lonely[0]));  // the instance's first arrival also writes the open index
  counting_.Reset();
  Arrive(Obj(lonely[1]));
  Arrive(Obj(lonely[0], "2"));  // a re-upload: a new event, its shard still incomplete
  EXPECT_EQ(counting_.total(), 4)
      << "PUT-if-absent marker + LIST of one shard, each (prompt: no tombstone GET)";
  EXPECT_EQ(counting_.count(test::StoreOp::kList), 2);
  EXPECT_EQ(counting_.count(test::StoreOp::kGet), 0);
  // Redelivered ten minutes after its event, an arrival first reads its tombstone.
  clock_.Set(test::kRedeliveryMs);
  counting_.Reset();
  Arrive(Obj(lonely[1], "2"));
  // (The clock jumped years, but a cyclic barrier without variables has its
  // open-index entry kept by the sweeper: no arrival reads it.)
  EXPECT_EQ(counting_.total(), 3)
      << "GET of its tombstone + PUT-if-absent marker + LIST of one shard";
  EXPECT_EQ(counting_.count(test::StoreOp::kGet), 1);
}

TEST_F(ShardedEngineTest, EveryGenerationTripsOnceAcrossManyGenerations) {
  Load(kWide);
  for (int g = 1; g <= 6; ++g) {
    std::vector<TripSummary> trips;
    // Members in a different order each generation, with a re-upload.
    for (int i = 0; i < 5; ++i) {
      auto t = Arrive(Obj("m" + std::to_string((i + g) % 5), std::to_string(g)));
      trips.insert(trips.end(), t.begin(), t.end());
      if (i == 1) Arrive(Obj("m" + std::to_string((i + g) % 5), std::to_string(g) + "b"));
    }
    ASSERT_EQ(trips.size(), 1u) << "generation " << g;
    EXPECT_EQ(trips[0].generation, g);
    EXPECT_EQ(trips[0].objects, 6u);
  }
  EXPECT_EQ(actions_.runs().size(), 6u);
}

TEST_F(ShardedEngineTest, HintsOfAnEarlierGenerationCountForNothing) {
  Load(kWide);
  for (int m = 0; m < 5; ++m) Arrive(Obj("m" + std::to_string(m)));
  // A hint a late writer left for the generation already tripped, for every shard.
  for (int s = 0; s < 3; ++s) {
    StateKey hint = StateKey::ShardHint("w", "_", 1, s, 2);
    ASSERT_TRUE(store_.PutIfAbsent(engine_->layout().Encode(hint), "").ok());
  }
  // Generation 2: shard 0 complete, the others not: no trip, one hint for generation 2.
  for (int m = 0; m < 5; ++m) {
    if (ShardPlan(parsed_.config.barriers[0], 2).ShardOf(MemberTag("m" + std::to_string(m))) == 0) {
      EXPECT_TRUE(Arrive(Obj("m" + std::to_string(m), "2")).empty());
    }
  }
  int gen2_hints = 0;
  for (const auto& k : Keys("w/_/h/")) gen2_hints += k.rfind("0000000002/", 0) == 0;
  EXPECT_EQ(gen2_hints, 1);
  // Compaction removes the stale hints of generation 1, not the open generation's.
  auto swept = engine_->Sweep(/*compact=*/true);
  ASSERT_TRUE(swept.ok());
  EXPECT_TRUE(swept->trips.empty());
  for (const auto& k : Keys("w/_/h/")) EXPECT_EQ(k.rfind("0000000002/", 0), 0u) << k;
}

TEST_F(ShardedEngineTest, CountLatchTripsOnDistinctKeysAcrossShards) {
  Load(R"({"barriers": {"c": {"count": 5, "prefix": "in/{day}", "mode": "cyclic"}}})", 2);
  for (int k = 0; k < 4; ++k) {
    EXPECT_TRUE(Arrive(Obj("in/mon/k" + std::to_string(k))).empty());
    EXPECT_TRUE(Arrive(Obj("in/mon/k" + std::to_string(k), "again")).empty()) << "same key: not distinct";
  }
  auto trips = Arrive(Obj("in/mon/k4"));
  ASSERT_EQ(trips.size(), 1u);
  EXPECT_EQ(trips[0].objects, 9u);
  EXPECT_TRUE(Keys("c/mon/a/").empty());
}

TEST_F(ShardedEngineTest, SweeperTripsWhatNoHintAnnounced) {
  // Every marker written, no hint (their writers died before publishing).
  Load(kWide);
  for (int m = 0; m < 5; ++m) WriteMarkerOnly("m" + std::to_string(m));
  auto sweep = engine_->Sweep();
  ASSERT_TRUE(sweep.ok());
  ASSERT_EQ(sweep->trips.size(), 1u);
  EXPECT_EQ(sweep->trips[0].objects, 5u);
}

TEST_F(ShardedEngineTest, MarkersOfTheUnshardedLayoutStillCount) {
  // State written while the barrier was narrower than the shard size (or by an
  // engine with another shard size): the full evaluation lists both layouts.
  Load(kWide, /*shard_size=*/0);
  for (int m = 0; m < 3; ++m) Arrive(Obj("m" + std::to_string(m)));
  Load(kWide, /*shard_size=*/2);
  Arrive(Obj("m3"));
  Arrive(Obj("m4"));
  auto sweep = engine_->Sweep();
  ASSERT_TRUE(sweep.ok());
  ASSERT_EQ(sweep->trips.size(), 1u);
  EXPECT_EQ(sweep->trips[0].objects, 5u);
}

TEST_F(ShardedEngineTest, MarkersInFoldersOfAnotherShardSizeStillCount) {
  // Written with shards of 2 (m4 in folder 0002/), evaluated with shards of 4
  // (folders 0000/ and 0001/ expected): the full evaluation lists the shard
  // folders concurrently and finds 0002/ through its delimited listing of a/.
  Load(kWide, /*shard_size=*/2);
  for (int m : {0, 2, 4}) Arrive(Obj("m" + std::to_string(m)));
  Load(kWide, /*shard_size=*/4);
  Arrive(Obj("m1"));
  Arrive(Obj("m3"));
  auto sweep = engine_->Sweep();
  ASSERT_TRUE(sweep.ok());
  auto trips = actions_.last_trip();
  ASSERT_EQ(trips.size(), 1u) << "one generation, whoever tripped it";
  EXPECT_EQ(trips.begin()->second.arrivals.size(), 5u) << "m4's marker in the old folder counted";
}

// Runs `before` once, just before the first PUT-if-absent of a key ending in `suffix`.
class HookBeforeClaim : public test::StoreWrapper {
 public:
  HookBeforeClaim(ObjectStore& base, std::string suffix, std::function<void()> before)
      : StoreWrapper(base), suffix_(std::move(suffix)), before_(std::move(before)) {}
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    if (before_ && key.size() >= suffix_.size() && key.compare(key.size() - suffix_.size(), suffix_.size(), suffix_) == 0) {
      auto before = std::move(before_);
      before_ = nullptr;
      before();
    }
    return base_.PutIfAbsent(key, body);
  }

 private:
  std::string suffix_;
  std::function<void()> before_;
};

TEST_F(ShardedEngineTest, ShardCompletedJustBeforeAClaimIsHintedByTheClaimant) {
  // Four members in two shards of two. Generation 1's markers exist, but no
  // hint (their arrivals' engines died): the sweeper claims generation 1.
  // Between its LIST of a/ and its claim, both members of one shard arrive
  // again for generation 2: they complete their shard (with generation 1's
  // markers, still there) and, reading t/ before the claim, hint generation 1.
  // The claimant must hint generation 2 for that shard after its trip, or
  // the other shard's arrivals would never see every shard hinted.
  Load(R"({"barriers": {"w": {"members": ["m0", "m1", "m2", "m3"], "mode": "cyclic"}}})");
  ShardPlan plan(parsed_.config.barriers[0], 2);
  std::map<int, std::vector<std::string>> by_shard;
  for (int m = 0; m < 4; ++m) by_shard[plan.ShardOf(MemberTag("m" + std::to_string(m)))].push_back("m" + std::to_string(m));
  ASSERT_EQ(by_shard.size(), 2u);
  for (int m = 0; m < 4; ++m) WriteMarkerOnly("m" + std::to_string(m));
  Engine early(parsed_.config, store_, actions_, clock_, Logger::Null(), options_);
  HookBeforeClaim hooked(store_, "/t/0000000001", [&] {
    for (const auto& member : by_shard[0]) {
      auto r = early.OnArrival(Obj(member, "2"));
      ASSERT_TRUE(r.ok());
      EXPECT_TRUE(r->trips.empty());
    }
  });
  Engine sweeper(parsed_.config, hooked, actions_, clock_, Logger::Null(), options_);
  auto sweep = sweeper.Sweep();
  ASSERT_TRUE(sweep.ok());
  ASSERT_EQ(sweep->trips.size(), 1u);
  EXPECT_EQ(sweep->trips[0].objects, 4u) << "generation 1 is what the sweeper listed";
  std::vector<TripSummary> trips;
  for (const auto& member : by_shard[1]) {
    auto t = Arrive(Obj(member, "2"));
    trips.insert(trips.end(), t.begin(), t.end());
  }
  ASSERT_EQ(trips.size(), 1u) << "generation 2 is complete: its last arrival must trip it";
  EXPECT_EQ(trips[0].generation, 2);
  EXPECT_EQ(trips[0].objects, 4u);
}

// A prompt copy of a consumed arrival of a wide barrier waits in its shard's
// folder: the sweep that looks at waiting copies before their tombstones
// expire finds it there too, and deletes it.
TEST_F(ShardedEngineTest, ACopyWaitingInAShardIsSweptBeforeItsTombstoneExpires) {
  Load(kWide);
  for (const char* m : {"m0", "m1", "m2", "m3"}) Arrive(Obj(m));
  ASSERT_EQ(Arrive(Obj("m4")).size(), 1u);
  ASSERT_EQ(engine_->OnArrival(Obj("m3"))->counted, 1)
      << "a prompt copy: its marker is back, in its shard";
  auto waiting = Keys("w/_/a/");
  ASSERT_EQ(waiting.size(), 1u);
  ASSERT_NE(waiting[0].find('/'), std::string::npos) << "in a shard's folder: " << waiting[0];
  SweepOptions expire;
  expire.compact = true;
  clock_.Advance(parsed_.config.state.retention_ms - 36LL * 3600 * 1000);
  ASSERT_TRUE(engine_->Sweep(expire).ok());
  EXPECT_TRUE(Keys("w/_/a/").empty()) << "the copy is deleted";
  EXPECT_TRUE(store_.Get(".eventbarrier/_consumed/w/_/" + ArrivalId(Obj("m3"))).ok())
      << "its tombstone stays";
}

}  // namespace
}  // namespace eb
