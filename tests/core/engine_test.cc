#include "core/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "core/engine_fixture.h"
#include "core/marker_details.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using test::RecordingActions;
using test::WatchedStore;

Arrival Obj(const std::string& key, const std::string& sequencer = "1", const std::string& bucket = "bkt") {
  return test::Upload(key, sequencer, bucket);
}

class EngineTest : public test::EngineFixture {
 protected:
  std::vector<TripSummary> Arrive(const Arrival& a) {
    auto r = engine_->OnArrival(a);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->trips : std::vector<TripSummary>{};
  }
};

TEST_F(EngineTest, FiveUploadsTwoReuploadsTripOnce) {
  // The original Python Lambda reported "complete" 3 times for this sequence.
  Load(R"({"event-barrier-2": ["2/0", "2/1", "2/2"]})");
  EXPECT_TRUE(Arrive(Obj("2/0/a.txt", "1")).empty());
  EXPECT_TRUE(Arrive(Obj("2/1/b.txt", "1")).empty());
  EXPECT_TRUE(Arrive(Obj("2/0/a.txt", "2")).empty()) << "re-upload of a member already present";
  auto trips = Arrive(Obj("2/2/c.txt", "1"));
  ASSERT_EQ(trips.size(), 1u);
  EXPECT_EQ(trips[0].generation, 1);
  EXPECT_EQ(trips[0].objects, 4u) << "every unconsumed arrival belongs to the trip";
  EXPECT_TRUE(Arrive(Obj("2/1/b.txt", "2")).empty()) << "a re-upload after the trip starts generation 2";
}

TEST_F(EngineTest, TripSummaryCarriesFirstArrivalAndClaimTimes) {
  Load(R"({"b": ["m0", "m1"]})");
  clock_.Set(1'700'000'000'000);
  EXPECT_TRUE(Arrive(Obj("m0")).empty());
  clock_.Advance(7'000);
  auto trips = Arrive(Obj("m1"));
  ASSERT_EQ(trips.size(), 1u);
  EXPECT_EQ(trips[0].first_arrival_at, 1'700'000'000'000) << "the earliest marker's store time";
  EXPECT_EQ(trips[0].claimed_at, 1'700'000'007'000);
}

TEST_F(EngineTest, DuplicatesNeverCountTwice) {
  Load(R"({"b": ["m0", "m1"]})");
  Arrive(Obj("m0"));
  auto r = engine_->OnArrival(Obj("m0"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->duplicates, 1);
  EXPECT_EQ(r->counted, 0);
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  // Redeliveries of the consumed events, ten minutes later (each would
  // re-create its deleted marker), never trip generation 2: each finds its
  // tombstone, writes no marker and says so.
  clock_.Set(test::kRedeliveryMs);
  for (const char* m : {"m0", "m1"}) {
    auto late = engine_->OnArrival(Obj(m));
    ASSERT_TRUE(late.ok());
    EXPECT_EQ(late->late_duplicates, 1) << m;
    EXPECT_EQ(late->counted, 0) << m;
    EXPECT_TRUE(late->trips.empty()) << m;
  }
  EXPECT_EQ(actions_.runs().size(), 0u) << "no actions configured, none run";
  EXPECT_TRUE(ListAll(store_, ".eventbarrier/b/_/a/")->empty()) << "no marker left behind";
  auto t2 = ListAll(store_, ".eventbarrier/b/_/t/");
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(t2->size(), 2u) << "exactly one trip record and its .done";
  // The next real pair is generation 2, with exactly its own two objects.
  Arrive(Obj("m0", "2"));
  auto next = Arrive(Obj("m1", "2"));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].generation, 2);
  EXPECT_EQ(next[0].objects, 2u);
}

// A late copy writes nothing at all (a marker, however briefly it existed,
// could be listed by a claimant and void a generation): it reads its
// tombstone and the generation's .done, and stops. In the window between a
// trip's deletes and its .done, it reads the marker instead of writing it,
// and the evaluation it then runs finishes the trip if that is due (here its
// lease ran out long ago).
TEST_F(EngineTest, LateCopyReadsItsTombstoneAndWritesNothing) {
  Load(R"({"b": ["m0", "m1"]})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  test::CountingStore counting(store_);
  Engine cold(parsed_.config, counting, actions_, clock_, Logger::Null());
  clock_.Set(test::kRedeliveryMs);  // a redelivery, not a prompt delivery
  auto late = cold.OnArrival(Obj("m0"));
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_EQ(late->late_duplicates, 1);
  EXPECT_EQ(counting.count(test::StoreOp::kPut) + counting.count(test::StoreOp::kPutIfAbsent), 0)
      << "no marker, not even for a moment";
  EXPECT_EQ(counting.count(test::StoreOp::kList), 0);
  EXPECT_EQ(counting.count(test::StoreOp::kDelete), 0);

  // The finisher deleted the markers but has not written .done yet.
  ASSERT_TRUE(store_.Delete(".eventbarrier/b/_/t/0000000001.done").ok());
  WatchedStore marker_writes(store_, [](test::StoreOp op, const std::string& key) {
    return (op == test::StoreOp::kPut || op == test::StoreOp::kPutIfAbsent) && key.find("/a/") != std::string::npos;
  });
  Engine in_window_engine(parsed_.config, marker_writes.store, actions_, clock_, Logger::Null());
  auto in_window = in_window_engine.OnArrival(Obj("m1"));
  ASSERT_TRUE(in_window.ok()) << in_window.status().ToString();
  EXPECT_EQ(in_window->late_duplicates, 1) << "its marker is gone: generation 1 settled and consumed it";
  EXPECT_EQ(marker_writes.count, 0) << "no marker, not even for a moment";
  EXPECT_TRUE(ListAll(store_, ".eventbarrier/b/_/a/")->empty());
  EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000001.done").ok()) << "the overdue trip is finished";
}

// A prompt delivery reads no tombstone (EngineOptions::prompt_arrival_ms), so
// a prompt copy of a consumed arrival writes its marker again. The trip that
// lists such copies settles them as stale: they are in no manifest, the
// generation they complete alone is void, and the next real pair trips with
// exactly its own objects.
TEST_F(EngineTest, PromptCopiesOfConsumedArrivalsAreSettledStale) {
  Load(
      R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  ASSERT_EQ(actions_.runs().size(), 1u);
  WatchedStore tombstone_reads(store_, [](test::StoreOp op, const std::string& key) {
    return op == test::StoreOp::kGet && key.find("/_consumed/") != std::string::npos;
  });
  Engine prompt(parsed_.config, tombstone_reads.store, actions_, clock_, Logger::Null());
  auto copy = prompt.OnArrival(Obj("m0"));
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->counted, 1) << "a marker again: nothing told this copy apart";
  EXPECT_EQ(tombstone_reads.count, 0);
  // A fresh m0, then the copy of m1 completes a set: generation 2 lists both
  // copies and the fresh m0 and settles the copies stale. The fresh m0 alone
  // does not complete it, so generation 2 is void and m0 waits.
  Arrive(Obj("m0", "2"));
  auto completing = Arrive(Obj("m1"));
  EXPECT_TRUE(completing.empty()) << "a set completed by a stale copy trips nothing";
  auto done2 = store_.Get(".eventbarrier/b/_/t/0000000002.done");
  ASSERT_TRUE(done2.ok());
  EXPECT_TRUE(ParseDone(*done2).void_trip);
  EXPECT_EQ(actions_.runs().size(), 1u) << "no action for a void generation";
  // The next real m1 trips generation 3 with exactly the two fresh objects.
  auto next = Arrive(Obj("m1", "2"));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].generation, 3);
  EXPECT_EQ(next[0].objects, 2u);
  ASSERT_EQ(actions_.runs().size(), 2u);
  EXPECT_TRUE(ListAll(store_, ".eventbarrier/b/_/a/")->empty())
      << "the stale markers went with the verdict";
}

// The monthly case: a prompt copy re-creates its consumed marker right after
// the trip, and the next generation comes after the retention, when nothing
// but the tombstone could tell the copy from a fresh arrival. The sweep that
// would expire the tombstone looks at the instance's waiting markers first:
// it deletes the copy's marker and keeps the tombstone until a later sweep.
// Had it expired the tombstone alone (as an S3 lifecycle rule at the
// retention would), generation 2 would consume generation 1's m0 again.
TEST_F(EngineTest, ACopyWaitingPastTheRetentionIsSweptBeforeItsTombstoneExpires) {
  Load(R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  auto copy = engine_->OnArrival(Obj("m0"));  // delivered within seconds of its event
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  ASSERT_EQ(copy->counted, 1) << "its marker is back in a/";
  const std::string tombstone = ".eventbarrier/_consumed/b/_/" + ArrivalId(Obj("m0"));
  SweepOptions expire;
  expire.compact = true;
  clock_.Advance(parsed_.config.state.retention_ms / 2 + 3600 * 1000);  // well inside the retention
  ASSERT_TRUE(engine_->Sweep(expire).ok());
  EXPECT_EQ(ListAll(store_, ".eventbarrier/b/_/a/")->size(), 1u) << "not yet near its tombstone's expiry";
  clock_.Advance(parsed_.config.state.retention_ms);  // past the retention
  auto swept = engine_->Sweep(expire);
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_TRUE(ListAll(store_, ".eventbarrier/b/_/a/")->empty()) << "the copy's marker is deleted";
  EXPECT_TRUE(store_.Get(tombstone).ok()) << "its tombstone stays for this sweep";
  ASSERT_TRUE(engine_->Sweep(expire).ok());
  EXPECT_FALSE(store_.Get(tombstone).ok()) << "and expires with the next one";
  Arrive(Obj("m0", "2"));
  auto next = Arrive(Obj("m1", "2"));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].generation, 2);
  EXPECT_EQ(next[0].objects, 2u) << "the copy of generation 1's m0 is not consumed again";
}

// A tombstone that does not parse (written by something else) beside a
// waiting marker fails neither this sweep nor the next: it says nothing, the
// marker stays, and the tombstone expires as any other.
TEST_F(EngineTest, AnUnreadableTombstoneDoesNotStopTheSweep) {
  Load(R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  ASSERT_EQ(engine_->OnArrival(Obj("m0"))->counted, 1) << "a prompt copy: its marker is back";
  const std::string tombstone = ".eventbarrier/_consumed/b/_/" + ArrivalId(Obj("m0"));
  ASSERT_TRUE(store_.Put(tombstone, "not json").ok());
  clock_.Advance(parsed_.config.state.retention_ms + 24LL * 3600 * 1000);
  SweepOptions expire;
  expire.compact = true;
  for (int sweep = 0; sweep < 2; ++sweep) {
    auto swept = engine_->Sweep(expire);
    ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  }
  EXPECT_FALSE(store_.Get(tombstone).ok()) << "expired";
  EXPECT_EQ(ListAll(store_, ".eventbarrier/b/_/a/")->size(), 1u) << "the marker is left alone";
}

// While a generation is unfinished, the sweep leaves the markers it may list
// to its settling, and keeps their tombstones.
TEST_F(EngineTest, TheSweepKeepsTheTombstonesOfAnUnfinishedGenerationsCopies) {
  Load(R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}},
           "state": {"lease": "1m"}})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  ASSERT_EQ(engine_->OnArrival(Obj("m0"))->counted, 1) << "a prompt copy: its marker is back";
  actions_.fail = [](const ActionSpec&, const TripRecord& t) { return t.generation == 2; };
  Arrive(Obj("m0", "2"));
  EXPECT_TRUE(Arrive(Obj("m1", "2")).empty()) << "generation 2 lists the copy, and its action fails";
  clock_.Advance(parsed_.config.state.retention_ms * 2);
  SweepOptions expire;
  expire.compact = true;
  ASSERT_TRUE(engine_->Sweep(expire).ok());
  EXPECT_TRUE(store_.Get(".eventbarrier/_consumed/b/_/" + ArrivalId(Obj("m0"))).ok())
      << "the copy's marker waits for generation 2's re-drive: its tombstone stays";
  EXPECT_EQ(ListAll(store_, ".eventbarrier/b/_/a/")->size(), 3u);
}

// A generation that listed a stale copy (its tombstone named generation 1)
// and whose action then kept failing past the retention: when it is finally
// re-driven, the copy's tombstone has expired (S3's lifecycle rule), but the
// verdict its first attempt wrote still stands. Re-settling from the
// tombstones alone would consume generation 1's m0 a second time.
TEST_F(EngineTest, AVerdictStandsAfterItsTombstonesExpire) {
  Load(R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}},
           "state": {"lease": "1m"}})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  const std::string copy_tombstone = ".eventbarrier/_consumed/b/_/" + ArrivalId(Obj("m0"));
  // A prompt copy of generation 1's m0: its marker is back in a/.
  auto copy = engine_->OnArrival(Obj("m0"));
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  ASSERT_EQ(copy->counted, 1) << "a prompt copy writes its marker without reading its tombstone";
  bool failing = true;
  actions_.fail = [&](const ActionSpec&, const TripRecord& t) { return t.generation == 2 && failing; };
  Arrive(Obj("m0", "2"));
  EXPECT_TRUE(Arrive(Obj("m1", "2")).empty()) << "generation 2's action fails";
  ASSERT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000002.stale").ok()) << "its verdict: the copy is stale";

  clock_.Advance(parsed_.config.state.retention_ms + 24LL * 3600 * 1000);
  ASSERT_TRUE(store_.Delete(copy_tombstone).ok());  // expired by S3's lifecycle rule
  failing = false;
  auto swept = engine_->Sweep(false);
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  ASSERT_EQ(swept->trips.size(), 1u);
  EXPECT_EQ(swept->trips[0].generation, 2);
  EXPECT_EQ(swept->trips[0].objects, 2u) << "generation 1's m0 is not consumed a second time";
  auto last = actions_.last_trip();
  ASSERT_EQ(last.count("b/_/2"), 1u);
  EXPECT_EQ(last["b/_/2"].arrivals.size(), 2u);
}

// A generation whose action keeps failing stays unfinished (re-driven with
// backoff) while later ones go on. A prompt copy of a later generation's
// arrival waits in a/, and no unfinished generation lists it: the sweep
// deletes it all the same before S3's lifecycle rule, a day after the
// retention, expires the tombstone the sweep would keep. Left waiting, it
// would be consumed a second time by the next generation.
TEST_F(EngineTest, ACopyNoUnfinishedGenerationListsIsSweptWhileAnotherKeepsFailing) {
  Load(
      R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}},
           "state": {"lease": "1m"}})");
  actions_.fail = [](const ActionSpec&, const TripRecord& t) { return t.generation == 1; };
  Arrive(Obj("m0"));
  EXPECT_TRUE(Arrive(Obj("m1")).empty()) << "generation 1's action fails, and keeps failing";
  clock_.Advance(60 * 1000);  // still before the events' own time: every delivery is prompt
  Arrive(Obj("m0", "2"));
  ASSERT_EQ(Arrive(Obj("m1", "2")).size(), 1u) << "generation 2 goes on without generation 1";
  ASSERT_EQ(engine_->OnArrival(Obj("m0", "2"))->counted, 1) << "a prompt copy: its marker is back";
  const TimeMs day = 24LL * 3600 * 1000;
  SweepOptions expire;
  expire.compact = true;
  // The daily sweeps in the two days before the retention ends.
  clock_.Advance(parsed_.config.state.retention_ms - day - day / 2);
  ASSERT_TRUE(engine_->Sweep(expire).ok());
  clock_.Advance(day);
  ASSERT_TRUE(engine_->Sweep(expire).ok());
  EXPECT_TRUE(
      ListAll(store_, ".eventbarrier/b/_/a/" + MemberTag("m0") + "." + ArrivalId(Obj("m0", "2")))
          ->empty())
      << "the copy is deleted: generation 1, unfinished, does not list it";
  clock_.Advance(day + day / 2);  // S3's lifecycle rule: a day after the retention
  auto tombstones = ListAll(store_, ".eventbarrier/_consumed/");
  ASSERT_TRUE(tombstones.ok());
  for (const auto& t : *tombstones) ASSERT_TRUE(store_.Delete(t.key).ok());
  auto next = Arrive(Obj("m1", "3"));
  EXPECT_TRUE(next.empty()) << "generation 2's m0 is not consumed a second time";
  EXPECT_EQ(actions_.runs().count("b/_/3"), 0u);
}

// A void generation's fresh arrivals wait for the next one, their tombstones
// naming it, and only its verdict says they were not consumed. Here the next
// generation was claimed while the void one was unfinished (its claimant died
// before settling), so it did not list them, and the void one's verdict is
// compacted with its records after the retention. Its waiting arrival's
// tombstone must not outlive that verdict: it would then read as consumed,
// and the arrival would be deleted by the sweep (or settled stale) unconsumed.
TEST_F(EngineTest, AVoidGenerationsWaitingArrivalOutlivesItsVerdict) {
  Load(
      R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}},
           "state": {"lease": "1m"}})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  ASSERT_EQ(engine_->OnArrival(Obj("m1"))->counted, 1) << "a prompt copy: its marker is back";
  {
    // Generation 2 lists the copy and a fresh m0; its claimant dies before settling.
    test::FaultStore dying(store_, [](test::StoreOp op, const std::string& key) {
      return op == test::StoreOp::kPutIfAbsent && key.find("/_consumed/") != std::string::npos
                 ? test::Fault::kCrashBefore
                 : test::Fault::kNone;
    });
    Engine claimant(parsed_.config, dying, actions_, clock_, Logger::Null());
    EXPECT_THROW((void)claimant.OnArrival(Obj("m0", "2")), test::SimulatedCrash);
  }
  ASSERT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000002").ok());
  // Within the lease, generation 3 goes on without generation 2's arrivals.
  Arrive(Obj("m0", "3"));
  auto third = Arrive(Obj("m1", "3"));
  ASSERT_EQ(third.size(), 1u);
  ASSERT_EQ(third[0].generation, 3);
  clock_.Advance(2 * 60 * 1000);
  ASSERT_TRUE(engine_->Sweep(false).ok());  // re-drives generation 2: void, its m0 waits
  auto done2 = store_.Get(".eventbarrier/b/_/t/0000000002.done");
  ASSERT_TRUE(done2.ok());
  ASSERT_TRUE(ParseDone(*done2).void_trip);
  ASSERT_EQ(ListAll(store_, ".eventbarrier/b/_/a/")->size(), 1u);
  // The first compacting sweep past the retention (`sweep --compact`, here
  // weekly) compacts generation 2's record with its verdict.
  SweepOptions compact;
  compact.compact = true;
  clock_.Advance(parsed_.config.state.retention_ms + 3 * 24LL * 3600 * 1000);
  ASSERT_TRUE(engine_->Sweep(compact).ok());
  ASSERT_FALSE(store_.Get(".eventbarrier/b/_/t/0000000002.stale").ok())
      << "the verdict is compacted";
  EXPECT_EQ(ListAll(store_, ".eventbarrier/b/_/a/")->size(), 1u) << "generation 2's m0 still waits";
  auto next = Arrive(Obj("m1", "4"));
  ASSERT_EQ(next.size(), 1u) << "the waiting m0 and a fresh m1 trip";
  EXPECT_EQ(next[0].objects, 2u);
}

// A verdict outlives its generation's record by two days (the tombstones
// naming it expire first), and then goes too: daily compaction that deleted
// the record and its .done before must not leave the verdict behind for
// good, or every generation that settled a stale copy would leave a key in
// t/ that each sweep lists forever.
TEST_F(EngineTest, AVerdictIsCompactedTwoDaysAfterItsRecord) {
  Load(
      R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  ASSERT_EQ(engine_->OnArrival(Obj("m0"))->counted, 1) << "a prompt copy: its marker is back";
  Arrive(Obj("m0", "2"));
  ASSERT_EQ(Arrive(Obj("m1", "2")).size(), 1u) << "generation 2, the copy settled stale";
  ASSERT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000002.stale").ok());
  Arrive(Obj("m0", "3"));
  ASSERT_EQ(Arrive(Obj("m1", "3")).size(), 1u) << "generation 3: generation 2 is not the newest";
  Arrive(Obj("m0", "4"));  // pending: the instance stays in the open index, and is compacted
  const TimeMs day = 24LL * 3600 * 1000;
  SweepOptions compact;
  compact.compact = true;
  clock_.Advance(parsed_.config.state.retention_ms - day);
  for (int i = 0; i < 5; ++i) {  // daily compacting sweeps, up to four days past the retention
    ASSERT_TRUE(engine_->Sweep(compact).ok());
    clock_.Advance(day);
  }
  auto left = ListAll(store_, ".eventbarrier/b/_/t/0000000002");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << left->size() << " key(s) of generation 2 left, the first "
                             << left->front().key;
}

// The look at waiting copies costs an idle instance nothing: only an instance
// in the open index can have a marker waiting, so a barrier with an instance
// per object group, whose groups trip once and go idle, is not listed
// instance by instance every day its tombstones near their expiry.
TEST_F(EngineTest, TheLookAtWaitingCopiesListsOnlyIndexedInstances) {
  Load(R"({"barriers": {"b": {"members": ["in/{id}/a", "in/{id}/b"], "mode": "cyclic"}}})");
  for (int i = 0; i < 20; ++i) {
    Arrive(Obj("in/" + std::to_string(i) + "/a"));
    ASSERT_EQ(Arrive(Obj("in/" + std::to_string(i) + "/b")).size(), 1u);
  }
  ASSERT_EQ(engine_->OnArrival(Obj("in/0/a"))->counted, 1) << "a prompt copy: its marker is back";
  clock_.Advance(2 * 3600 * 1000);
  ASSERT_TRUE(engine_->Sweep(false).ok());  // the idle instances leave the index
  ASSERT_EQ(ListAll(store_, ".eventbarrier/_open/")->size(), 1u) << "only the instance with the copy stays";
  clock_.Advance(parsed_.config.state.retention_ms - 24LL * 3600 * 1000);
  WatchedStore marker_lists(store_, [](test::StoreOp op, const std::string& prefix) {
    return op == test::StoreOp::kList && prefix.ends_with("/a/");
  });
  Engine sweeper(parsed_.config, marker_lists.store, actions_, clock_, Logger::Null());
  SweepOptions compact;
  compact.compact = true;
  ASSERT_TRUE(sweeper.Sweep(compact).ok());
  EXPECT_EQ(marker_lists.count, 1) << "one instance looked at, not twenty";
  EXPECT_TRUE(ListAll(store_, ".eventbarrier/b/0/a/")->empty()) << "and its copy deleted";
}

// In a once-mode barrier a prompt arrival writes its marker without reading
// its tombstone: a copy finds the marker its trip kept, and is a plain
// duplicate.
TEST_F(EngineTest, PromptCopiesInAOnceBarrierReadNoTombstone) {
  Load(
      R"({"barriers": {"b": {"members": ["m0", "m1"], "mode": "once", "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  WatchedStore tombstone_reads(store_, [](test::StoreOp op, const std::string& key) {
    return op == test::StoreOp::kGet && key.find("/_consumed/") != std::string::npos;
  });
  Engine prompt(parsed_.config, tombstone_reads.store, actions_, clock_, Logger::Null());
  ASSERT_TRUE(prompt.OnArrival(Obj("m0")).ok());
  auto completing = prompt.OnArrival(Obj("m1"));
  ASSERT_TRUE(completing.ok()) << completing.status().ToString();
  ASSERT_EQ(completing->trips.size(), 1u);
  auto copy = prompt.OnArrival(Obj("m0"));
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->duplicates, 1);
  EXPECT_EQ(copy->counted, 0);
  EXPECT_EQ(copy->late, 0);
  EXPECT_EQ(tombstone_reads.count, 0);
  EXPECT_EQ(actions_.runs().size(), 1u);
}

// A once instance has one generation and never a head hint: a cold process
// that claims it lists t/ from the start without reading `head`.
TEST_F(EngineTest, AOnceInstanceReadsNoHeadHint) {
  Load(R"({"barriers": {"b": {"members": ["m0", "m1"], "mode": "once", "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  WatchedStore head_reads(store_, [](test::StoreOp op, const std::string& key) {
    return op == test::StoreOp::kGet && key.ends_with("/head");
  });
  Engine first(parsed_.config, head_reads.store, actions_, clock_, Logger::Null());
  ASSERT_TRUE(first.OnArrival(Obj("m0")).ok());
  Engine cold(parsed_.config, head_reads.store, actions_, clock_, Logger::Null());
  auto completing = cold.OnArrival(Obj("m1"));
  ASSERT_TRUE(completing.ok()) << completing.status().ToString();
  ASSERT_EQ(completing->trips.size(), 1u);
  Engine late(parsed_.config, head_reads.store, actions_, clock_, Logger::Null());
  auto after = late.OnArrival(Obj("m0", "2"));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->late, 1);
  EXPECT_EQ(head_reads.count, 0);
}

// A claimant killed between its trip's deletes and its .done: the
// redelivery of the claiming event finds its tombstone, its generation
// unfinished and its marker gone. It writes nothing (a late duplicate), and
// it resumes the trip at once (resume grace 0, as `watch` has), rather than
// leaving it to the sweeper after the lease.
TEST_F(EngineTest, RedeliveryInTheDeleteWindowResumesTheTrip) {
  Load(R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  bool crashed = false;
  test::FaultStore dying(store_, [&](test::StoreOp op, const std::string& key) {
    if (!crashed && op == test::StoreOp::kPutIfAbsent && key.ends_with(".done")) {
      crashed = true;
      return test::Fault::kCrashBefore;
    }
    return test::Fault::kNone;
  });
  EngineOptions options;
  options.resume_grace_ms = 0;
  options.prompt_arrival_ms = 0;
  {
    Engine claimant(parsed_.config, dying, actions_, clock_, Logger::Null(), options);
    ASSERT_TRUE(claimant.OnArrival(Obj("m0")).ok());
    EXPECT_THROW((void)claimant.OnArrival(Obj("m1")), test::SimulatedCrash);
  }
  ASSERT_TRUE(crashed);
  ASSERT_TRUE(ListAll(store_, ".eventbarrier/b/_/a/")->empty()) << "killed after its deletes";
  ASSERT_FALSE(store_.Get(".eventbarrier/b/_/t/0000000001.done").ok());
  Engine restarted(parsed_.config, store_, actions_, clock_, Logger::Null(), options);
  auto redelivery = restarted.OnArrival(Obj("m1"));
  ASSERT_TRUE(redelivery.ok()) << redelivery.status().ToString();
  EXPECT_EQ(redelivery->late_duplicates, 1);
  EXPECT_EQ(redelivery->counted, 0);
  EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000001.done").ok()) << "resumed and finished";
  EXPECT_TRUE(ListAll(store_, ".eventbarrier/b/_/a/")->empty()) << "no marker re-created";
  EXPECT_EQ(actions_.runs().at("b/_/1"), 2) << "at least once: the resumed trip runs its action again";
}

// In a barrier with a timeout even a prompt copy reads its tombstone: a
// re-created marker would start the next generation's timeout clock at the
// copy's time, and a timeout trip of it and one fresh arrival would fire
// early, with that arrival alone.
TEST_F(EngineTest, PromptCopiesInABarrierWithATimeoutReadTheirTombstone) {
  Load(R"({"barriers": {"b": {"members": ["m0", "m1", "m2"], "timeout": "1h"}}})");
  for (const char* m : {"m0", "m1"}) Arrive(Obj(m));
  ASSERT_EQ(Arrive(Obj("m2")).size(), 1u);
  auto copy = engine_->OnArrival(Obj("m0"));  // prompt: the clock is before the event
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->late_duplicates, 1);
  EXPECT_EQ(copy->counted, 0);
  EXPECT_TRUE(ListAll(store_, ".eventbarrier/b/_/a/")->empty()) << "no marker to start a timeout";
}

// A set completed only by stale copies (here: markers re-created behind the
// engine's back, as a copy that died before its own check would leave them)
// is claimed, and its tombstones void the generation: no action, nothing consumed.
TEST_F(EngineTest, StaleCopiesThatCompleteASetVoidTheirGeneration) {
  Load(R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  for (const char* m : {"m0", "m1"}) {
    Arrival a = Obj(m);
    std::string id = ArrivalId(a);
    std::string tag = MemberTag(m);
    StateKey marker = StateKey::Arrival("b", "_", tag, id, -1, EncodeMarkerDetails(a, tag, id));
    ASSERT_TRUE(store_.PutIfAbsent(engine_->layout().Encode(marker), SerializeMarker({id, m, tag, a, true})).ok());
  }
  EXPECT_TRUE(engine_->Sweep().ok());
  auto done2 = store_.Get(".eventbarrier/b/_/t/0000000002.done");
  ASSERT_TRUE(done2.ok());
  EXPECT_TRUE(ParseDone(*done2).void_trip);
  auto verdict = ParseStale(*store_.Get(".eventbarrier/b/_/t/0000000002.stale"));
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict->ids.size(), 2u);
  EXPECT_TRUE(verdict->void_trip);
  EXPECT_EQ(actions_.runs().size(), 1u) << "only generation 1 ran its action";
  EXPECT_TRUE(ListAll(store_, ".eventbarrier/b/_/a/")->empty()) << "stale markers deleted";
  Arrive(Obj("m0", "2"));
  auto next = Arrive(Obj("m1", "2"));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].generation, 3);
  EXPECT_EQ(next[0].objects, 2u);
}

TEST_F(EngineTest, StaleDuplicateAfterMoveIsDropped) {
  Load(R"({"b": ["m0", "m1"]})");
  Arrive(Obj("m0"));
  ASSERT_EQ(Arrive(Obj("m1")).size(), 1u);
  // A very late duplicate re-creates a/<id> after the move...
  EXPECT_TRUE(Arrive(Obj("m0")).empty());
  // ...and the next genuine m1 must not complete generation 2 with it.
  EXPECT_TRUE(Arrive(Obj("m1", "2")).empty());
  ASSERT_EQ(Arrive(Obj("m0", "2")).size(), 1u);
}

TEST_F(EngineTest, CyclicTripsEachGeneration) {
  Load(R"({"barriers": {"b": {"members": ["x", "y"], "on_complete": [{"type": "manifest", "key": "ready/{generation}.json"}]}}})");
  for (int g = 1; g <= 5; ++g) {
    Arrive(Obj("x/f", std::to_string(g)));
    auto trips = Arrive(Obj("y/f", std::to_string(g)));
    ASSERT_EQ(trips.size(), 1u) << g;
    EXPECT_EQ(trips[0].generation, g);
  }
  auto runs = actions_.runs();
  EXPECT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs["b/_/3"], 1);
}

// A long-running process (watch, serve, a warm Lambda) must not hold every
// trip it ever saw: the caches of immutable objects stay bounded, and what
// they drop is re-read, so old copies of consumed events still never count.
TEST_F(EngineTest, CachesStayBoundedOverManyTripsAndOldCopiesStillNeverCount) {
  Load(R"({"barriers": {"b": {"members": ["x", "y"]}}})");
  constexpr int kGenerations = 600;  // > TripLog::kMaxCachedRecords trips
  size_t most_cached = 0;
  for (int g = 1; g <= kGenerations; ++g) {
    Arrive(Obj("x/f", std::to_string(g)));
    auto trips = Arrive(Obj("y/f", std::to_string(g)));
    ASSERT_EQ(trips.size(), 1u) << g;
    most_cached = std::max(most_cached, engine_->CachedObjects());
  }
  EXPECT_LE(most_cached, TripLog::kMaxCachedRecords + 4);
  // Late copies of consumed events, from early and recent generations, after
  // the caches were emptied at least once: none counts, nothing trips. (A
  // pair of stale copies does claim a generation, which its tombstones then
  // void: it consumes nothing and runs no action.)
  for (int g : {1, 17, 300, kGenerations}) {
    EXPECT_TRUE(Arrive(Obj("x/f", std::to_string(g))).empty()) << g;
    EXPECT_TRUE(Arrive(Obj("y/f", std::to_string(g))).empty()) << g;
  }
  int voids = 0;
  auto trips = ListAll(store_, ".eventbarrier/b/_/t/");
  ASSERT_TRUE(trips.ok());
  for (const auto& obj : *trips) {
    if (obj.key.size() > 5 && obj.key.compare(obj.key.size() - 5, 5, ".done") == 0 &&
        ParseDone(*store_.Get(obj.key)).void_trip) {
      ++voids;
    }
  }
  EXPECT_LE(voids, 4);
  // and the next new pair is the next generation after them.
  Arrive(Obj("x/f", "new"));
  auto next = Arrive(Obj("y/f", "new"));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].generation, kGenerations + voids + 1);
  EXPECT_EQ(next[0].objects, 2u);
}

TEST_F(EngineTest, OnceModeTemplatedInstances) {
  Load(R"({"barriers": {"sales": {"members": ["s/{date}/east.csv", "s/{date}/west.csv"]}}})");
  Arrive(Obj("s/d1/east.csv"));
  Arrive(Obj("s/d2/west.csv"));
  auto t = Arrive(Obj("s/d1/west.csv"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].instance, "d1");
  EXPECT_TRUE(Arrive(Obj("s/d1/east.csv", "2")).empty());
  EXPECT_TRUE(Arrive(Obj("s/d1/west.csv", "2")).empty()) << "once: an instance trips at most once";
  t = Arrive(Obj("s/d2/east.csv"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].instance, "d2");
}

TEST_F(EngineTest, CountLatch) {
  Load(R"({"barriers": {"logs": {"count": 3, "prefix": "logs/{day}", "suffix": ".gz"}}})");
  Arrive(Obj("logs/mon/a.gz"));
  Arrive(Obj("logs/mon/a.gz", "2"));  // same key again: not a new distinct key
  Arrive(Obj("logs/mon/b.txt"));      // filtered by suffix
  EXPECT_TRUE(Arrive(Obj("logs/mon/b.gz")).empty());
  auto t = Arrive(Obj("logs/mon/c.gz"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].objects, 4u);
}

TEST_F(EngineTest, IgnoresStateKeysAndOtherEvents) {
  Load(R"({"b": [".eventbarrier"], "c": ["x"]})");
  auto r = engine_->OnArrival(Obj(".eventbarrier/b/_/a/whatever"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ignored);
  Arrival removed = Obj("x");
  removed.event_name = "ObjectRemoved:Delete";
  r = engine_->OnArrival(removed);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ignored);
}

TEST_F(EngineTest, FailedActionIsRedrivenAfterLease) {
  Load(R"({"barriers": {"b": {"members": ["x", "y"], "on_complete": [{"type": "manifest", "key": "m"}]}},
           "state": {"lease": "1m"}})");
  bool failing = true;
  actions_.fail = [&](const ActionSpec&, const TripRecord&) { return failing; };
  Arrive(Obj("x"));
  auto r = engine_->OnArrival(Obj("y"));
  // The arrival is recorded and its trip claimed: the call succeeds, and the
  // trip stays unfinished for the re-driver (docs/PROTOCOL.md, "Finishing a trip").
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->trip_failures, 1);
  EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000001.failed-0000").ok());
  failing = false;
  auto sweep = engine_->Sweep();
  ASSERT_TRUE(sweep.ok());
  EXPECT_TRUE(sweep->trips.empty()) << "lease not over yet";
  clock_.Advance(61'000);
  sweep = engine_->Sweep();
  ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
  ASSERT_EQ(sweep->trips.size(), 1u);
  EXPECT_TRUE(sweep->trips[0].redriven);
  EXPECT_EQ(actions_.runs()["b/_/1"], 2);
  EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000001.done").ok());
}

TEST_F(EngineTest, RedeliveryFinishesItsOwnTripAtOnce) {
  Load(R"({"barriers": {"b": {"members": ["x", "y"], "on_complete": [{"type": "manifest", "key": "m"}]}}})");
  Arrive(Obj("x"));
  {
    // The claimant dies right after its claim (before any action ran).
    test::FaultStore crashing(store_, [](test::StoreOp op, const std::string& key) {
      return op == test::StoreOp::kPutIfAbsent && key == ".eventbarrier/b/_/t/0000000001"
                 ? test::Fault::kCrashAfter
                 : test::Fault::kNone;
    });
    Engine claimant(parsed_.config, crashing, actions_, clock_, Logger::Null());
    EXPECT_THROW((void)claimant.OnArrival(Obj("y")), test::SimulatedCrash);
  }
  EXPECT_TRUE(Arrive(Obj("y")).empty()) << "a concurrent duplicate leaves a live claimant alone";
  clock_.Advance(31'000);
  auto trips = Arrive(Obj("y"));  // Lambda's retry of the same event, a minute later
  ASSERT_EQ(trips.size(), 1u);
  EXPECT_TRUE(trips[0].redriven);
}

// A claimant whose action failed did not crash: it noted the failure, and a
// redelivery of its event waits for the backoff like everyone else.
TEST_F(EngineTest, RedeliveryOfAFailedTripWaitsForTheBackoff) {
  Load(
      R"({"barriers": {"b": {"members": ["x", "y"], "on_complete": [{"type": "manifest", "key": "m"}]}},
           "state": {"lease": "1m"}})");
  bool failing = true;
  actions_.fail = [&](const ActionSpec&, const TripRecord&) { return failing; };
  Arrive(Obj("x"));
  EXPECT_TRUE(Arrive(Obj("y")).empty());
  failing = false;
  clock_.Advance(31'000);
  EXPECT_TRUE(Arrive(Obj("y")).empty()) << "within the backoff (the lease, for attempt 1)";
  EXPECT_EQ(actions_.runs()["b/_/1"], 1);
  clock_.Advance(30'000);
  auto trips = Arrive(Obj("y"));
  ASSERT_EQ(trips.size(), 1u);
  EXPECT_TRUE(trips[0].redriven);
  EXPECT_EQ(actions_.runs()["b/_/1"], 2);
}

TEST_F(EngineTest, TimeoutTripsWithMissingMembers) {
  Load(R"({"barriers": {"sales": {"members": ["s/{date}/east.csv", "s/{date}/west.csv", "s/{date}/north.csv"],
            "timeout": "1h", "on_timeout": [{"type": "manifest", "key": "late/{date}.json"}]}}})");
  Arrive(Obj("s/d1/east.csv"));
  clock_.Advance(30 * 60 * 1000);
  Arrive(Obj("s/d1/west.csv"));
  auto sweep = engine_->Sweep();
  ASSERT_TRUE(sweep.ok());
  EXPECT_TRUE(sweep->trips.empty());
  clock_.Advance(31 * 60 * 1000);
  sweep = engine_->Sweep();
  ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
  ASSERT_EQ(sweep->trips.size(), 1u);
  EXPECT_EQ(sweep->trips[0].status, TripStatus::kTimeout);
  auto trip = actions_.last_trip()["sales/d1/1"];
  EXPECT_EQ(trip.missing, std::vector<std::string>{"s/d1/north.csv"});
  EXPECT_EQ(trip.arrivals.size(), 2u);
  EXPECT_TRUE(Arrive(Obj("s/d1/north.csv")).empty()) << "once: no second trip after the timeout";
  sweep = engine_->Sweep();
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->removed_from_index, 1) << "a finished once instance leaves the open index";
}

TEST_F(EngineTest, SweeperTripsWhatNoEventCompleted) {
  // An arrival whose evaluation failed every retry: the sweeper still trips it.
  Load(R"({"b": ["x", "y"]})");
  Arrive(Obj("x"));
  ASSERT_TRUE(store_.PutIfAbsent(".eventbarrier/b/_/a/" + MemberTag("y") + "." + ArrivalId(Obj("y")),
                                 SerializeMarker({ArrivalId(Obj("y")), "y", MemberTag("y"), Obj("y")}))
                  .ok());
  auto sweep = engine_->Sweep();
  ASSERT_TRUE(sweep.ok());
  ASSERT_EQ(sweep->trips.size(), 1u);
}

TEST_F(EngineTest, CompactionKeepsNewestRecord) {
  Load(R"({"barriers": {"b": {"members": ["x", "y"]}}, "state": {"retention": "1d"}})");
  for (int g = 1; g <= 3; ++g) {
    Arrive(Obj("x", std::to_string(g)));
    Arrive(Obj("y", std::to_string(g)));
  }
  clock_.Advance(2LL * 86'400'000);
  auto sweep = engine_->Sweep(/*compact=*/true);
  ASSERT_TRUE(sweep.ok());
  EXPECT_GT(sweep->compacted, 0);
  EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000003").ok());
  EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000001").status().IsNotFound());
  Arrive(Obj("x", "4"));
  auto t = Arrive(Obj("y", "4"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].generation, 4) << "generation numbering survives compaction";
}

// Reports what it "ran" so the test can find it in the .done record.
class ReportingActions : public ActionRunner {
 public:
  Status Run(const ActionSpec&, const TripRecord&) override { return Status::Ok(); }
  Status RunReporting(const ActionSpec& action, const TripRecord& trip, ActionReport* report) override {
    report->Add("exit_code", "0");
    report->Add("stderr", action.type + " for " + trip.IdempotencyKey());
    return Status::Ok();
  }
};

TEST_F(EngineTest, DoneRecordHoldsActionReports) {
  parsed_ = ParseConfig(R"({"barriers": {"b": {"members": ["x", "y"],
      "on_complete": [{"type": "exec", "command": ["true"]}, {"type": "manifest", "key": "m"}]}}})");
  ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
  ReportingActions reporting;
  EngineOptions options;
  options.worker_id = "w1";
  Engine engine(parsed_.config, store_, reporting, clock_, Logger::Null(), options);
  ASSERT_TRUE(engine.OnArrival(Obj("x")).ok());
  ASSERT_TRUE(engine.OnArrival(Obj("y")).ok());
  auto body = store_.Get(".eventbarrier/b/_/t/0000000001.done");
  ASSERT_TRUE(body.ok());
  DoneRecord done = ParseDone(*body);
  EXPECT_EQ(done.by, "w1");
  EXPECT_EQ(done.at, clock_.NowMs());
  EXPECT_FALSE(done.redriven);
  ASSERT_EQ(done.actions.size(), 2u);
  EXPECT_EQ(done.actions[0].type, "exec");
  std::vector<std::pair<std::string, std::string>> want = {{"exit_code", "0"}, {"stderr", "exec for b/_/1"}};
  EXPECT_EQ(done.actions[0].fields, want);
  EXPECT_EQ(done.actions[1].type, "manifest");
}

}  // namespace
}  // namespace eb
