// Deleting an instance's state by hand never makes an idempotency key repeat:
// the generation counter starts again in a new epoch that the key carries
// (docs/PROTOCOL.md, "Epochs").
#include <gtest/gtest.h>

#include <set>

#include "core/engine.h"
#include "core/evaluator.h"
#include "core/keys.h"
#include "core/rerun.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

constexpr const char* kConfig =
    R"({"barriers": {"b": {"members": ["in/{day}/m0", "in/{day}/m1"], "mode": "cyclic", "on_complete": [{"type": "manifest", "key": "r"}]}}})";

// The same barrier, each instance tripping once.
constexpr const char* kOnceConfig =
    R"({"barriers": {"b": {"members": ["in/{day}/m0", "in/{day}/m1"], "mode": "once", "on_complete": [{"type": "manifest", "key": "r"}]}}})";

class EpochTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parsed_ = ParseConfig(kConfig);
    ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
  }
  // A fresh engine each time: no process keeps a cache across a deletion by hand.
  std::vector<TripSummary> Pair(const std::string& day, int seq) {
    Engine engine(parsed_.config, store_, actions_, clock_, Logger::Null());
    std::vector<TripSummary> trips;
    for (const char* m : {"m0", "m1"}) {
      auto r = engine.OnArrival(test::Upload("in/" + day + "/" + m, std::to_string(seq)));
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) trips.insert(trips.end(), r->trips.begin(), r->trips.end());
    }
    clock_.Advance(1000);
    return trips;
  }
  // What an operator's `aws s3 rm --recursive` of the instance's folder does.
  void DeleteByHand(const std::string& prefix) {
    auto keys = ListAll(store_, prefix);
    ASSERT_TRUE(keys.ok());
    ASSERT_FALSE(keys->empty()) << prefix;
    for (const auto& o : *keys) ASSERT_TRUE(store_.Delete(o.key).ok());
  }
  std::set<std::string> Keys() const {
    std::set<std::string> out;
    for (const auto& [key, n] : actions_.runs()) out.insert(key);
    return out;
  }

  FakeClock clock_;
  MemoryStore store_{clock_};
  test::RecordingActions actions_;
  ConfigParse parsed_;
};

TEST_F(EpochTest, FirstEpochKeepsTodaysKeys) {
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(Pair("d1", i).size(), 1u);
  EXPECT_EQ(Keys(), (std::set<std::string>{"b/d1/1", "b/d1/2", "b/d1/3"}));
  auto witness = store_.Get(".eventbarrier/_epochs/b/d1");
  ASSERT_TRUE(witness.ok())
      << "the first generation left its witness outside the instance's folder";
  auto parsed = ParseEpochWitness(*witness);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->epoch, 0);
  auto first = ParseTrip(*store_.Get(".eventbarrier/b/d1/t/0000000001"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->epoch_from_witness);
  EXPECT_EQ(parsed->claimed_by, first->claimed_by)
      << "the witness names the claim that started the counter";
  auto t = ListAll(store_, ".eventbarrier/b/d1/t/");
  for (const auto& o : *t) EXPECT_EQ(o.key.find(".epoch-"), std::string::npos) << o.key;
}

TEST_F(EpochTest, DeletingTheTripRecordsStartsANewEpochWhoseKeysNeverRepeat) {
  for (int i = 1; i <= 2; ++i) ASSERT_EQ(Pair("d1", i).size(), 1u);
  DeleteByHand(".eventbarrier/b/d1/");  // records, .done, head: the whole counter
  for (int i = 3; i <= 5; ++i) ASSERT_EQ(Pair("d1", i).size(), 1u);
  DeleteByHand(".eventbarrier/b/d1/t/");  // only the records, this time
  ASSERT_EQ(Pair("d1", 6).size(), 1u);
  EXPECT_EQ(Keys(), (std::set<std::string>{"b/d1/1", "b/d1/2", "b/d1/1@1", "b/d1/2@1", "b/d1/3@1",
                                           "b/d1/1@2"}));
  for (const auto& [key, runs] : actions_.runs()) EXPECT_EQ(runs, 1) << key;
  auto last = actions_.last_trip().at("b/d1/1@2");
  EXPECT_EQ(last.generation, 1);
  EXPECT_EQ(last.epoch, 2);
  EXPECT_NE(ManifestJson(last).find("\"epoch\": 2"), std::string::npos) << ManifestJson(last);
  // Another instance of the same barrier is untouched: its counter never reset.
  ASSERT_EQ(Pair("d2", 7).size(), 1u);
  EXPECT_EQ(Keys().count("b/d2/1"), 1u);
}

// The claimant of a first generation reads no witness: most claimants of a
// new instance's first generation lose their claim, and the one that wins
// learns the epoch with the write it makes anyway.
// An operator's rerun of a later epoch's generation runs its actions with
// that generation's key, epoch included, and says so.
TEST_F(EpochTest, ARerunOfALaterEpochCarriesItsKey) {
  ASSERT_EQ(Pair("d1", 1).size(), 1u);
  DeleteByHand(".eventbarrier/b/d1/");
  ASSERT_EQ(Pair("d1", 2).size(), 1u);
  ASSERT_EQ(Keys(), (std::set<std::string>{"b/d1/1", "b/d1/1@1"}));
  RerunRequest request{"b", "d1", 1, std::nullopt, "operator", "test"};
  auto rerun = Rerun(store_, parsed_.config, actions_, clock_, Logger::Null(), request);
  ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
  EXPECT_EQ(rerun->idempotency_key, "b/d1/1@1");
  EXPECT_EQ(actions_.runs().at("b/d1/1@1"), 2) << "the rerun ran with the trip's own key";
}

TEST_F(EpochTest, AFirstGenerationIsClaimedWithoutReadingTheWitness) {
  test::WatchedStore witness_reads(store_, [](test::StoreOp op, const std::string& key) {
    return op == test::StoreOp::kGet && key.find("/_epochs/") != std::string::npos;
  });
  Engine engine(parsed_.config, witness_reads.store, actions_, clock_, Logger::Null());
  for (const char* m : {"m0", "m1"})
    ASSERT_TRUE(engine.OnArrival(test::Upload(std::string("in/d1/") + m, "1")).ok());
  EXPECT_EQ(Keys(), (std::set<std::string>{"b/d1/1"}));
  EXPECT_EQ(witness_reads.count, 0);
}

// A first generation whose claimant could not settle its epoch (the witness
// write failed: it could as well have died there) is settled by whoever needs
// it first: here the claimant of generation 2, which follows it in its epoch
// while it is still unfinished, then the sweeper's re-drive. They agree, on
// the new epoch the deletion by hand calls for.
TEST_F(EpochTest, AnUnsettledFirstGenerationGetsOneEpochWhoeverSettlesIt) {
  ASSERT_EQ(Pair("d1", 1).size(), 1u);
  DeleteByHand(".eventbarrier/b/d1/");
  bool witness_down = true;
  test::FaultStore faulty(store_, [&](test::StoreOp op, const std::string& key) {
    bool write = op == test::StoreOp::kPut || op == test::StoreOp::kPutIfAbsent;
    return witness_down && write && key.find("/_epochs/") != std::string::npos
               ? test::Fault::kUnavailable
               : test::Fault::kNone;
  });
  {
    Engine engine(parsed_.config, faulty, actions_, clock_, Logger::Null());
    for (const char* m : {"m0", "m1"}) {
      auto r = engine.OnArrival(test::Upload(std::string("in/d1/") + m, "2"));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (std::string(m) == "m1") {
        EXPECT_EQ(r->trip_failures, 1) << "claimed, not finished";
      }
    }
  }
  witness_down = false;
  EXPECT_EQ(Pair("d1", 3).size(), 1u)
      << "generation 2 trips while generation 1 waits for its re-drive";
  clock_.Advance(10 * 60 * 1000);  // past the lease
  Engine sweeper(parsed_.config, store_, actions_, clock_, Logger::Null());
  auto swept = sweeper.Sweep(false);
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(Keys(), (std::set<std::string>{"b/d1/1", "b/d1/2@1", "b/d1/1@1"}));
  for (const auto& [key, runs] : actions_.runs()) EXPECT_EQ(runs, 1) << key;
  auto witness = ParseEpochWitness(*store_.Get(".eventbarrier/_epochs/b/d1"));
  ASSERT_TRUE(witness.ok());
  EXPECT_EQ(witness->epoch, 1);
}

// A process that keeps running while the folder is deleted: its cached done
// hint (generation 1, learnt when it claimed generation 2) lags the deleted
// counter (3). Its LIST of t/ from that hint finds nothing, not even the
// hint's own `.done`: it drops what it cached and starts a new epoch like a
// cold process, instead of claiming generation 2 again.
TEST_F(EpochTest, AWarmProcessWhoseCacheOutlivedTheDeletionStartsANewEpochToo) {
  Engine warm(parsed_.config, store_, actions_, clock_, Logger::Null());
  auto arrive = [&](Engine& engine, const char* member, int seq) {
    auto r = engine.OnArrival(test::Upload(std::string("in/d1/") + member, std::to_string(seq)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  };
  for (int seq = 1; seq <= 2; ++seq) {  // generations 1 and 2, by the warm process
    arrive(warm, "m0", seq);
    arrive(warm, "m1", seq);
    clock_.Advance(1000);
  }
  ASSERT_EQ(Pair("d1", 3).size(), 1u);  // generation 3, by another process
  DeleteByHand(".eventbarrier/b/d1/");
  arrive(warm, "m0", 4);
  arrive(warm, "m1", 4);
  EXPECT_EQ(Keys(), (std::set<std::string>{"b/d1/1", "b/d1/2", "b/d1/3", "b/d1/1@1"}))
      << "generation 2 of epoch 0 must not run twice";
  for (const auto& [key, runs] : actions_.runs()) EXPECT_EQ(runs, 1) << key;
}

// A later epoch's generations carry it in a key the LIST of t/ returns (from
// the head hint too), so a cold claimant of generation n+1 learns it without
// reading record n.
TEST_F(EpochTest, ALaterEpochSurvivesHeadHintsAndColdProcesses) {
  ASSERT_EQ(Pair("d1", 1).size(), 1u);
  DeleteByHand(".eventbarrier/b/d1/");
  for (int i = 2; i <= 40; ++i) ASSERT_EQ(Pair("d1", i).size(), 1u);  // head hints at 16 and 32
  ASSERT_TRUE(store_.Get(".eventbarrier/b/d1/head").ok());
  std::set<std::string> keys = Keys();
  EXPECT_EQ(keys.size(), 40u) << "every key distinct";
  EXPECT_EQ(keys.count("b/d1/1"), 1u);
  for (int g = 1; g <= 39; ++g) EXPECT_EQ(keys.count("b/d1/" + std::to_string(g) + "@1"), 1u) << g;
}

// State written before epochs existed: no witness. The first head hint
// after the upgrade writes it, so deleting the records later is detected.
TEST_F(EpochTest, InstancesFromBeforeEpochsGetTheirWitnessAtTheNextHeadHint) {
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(Pair("d1", i).size(), 1u);
  ASSERT_TRUE(
      store_.Delete(".eventbarrier/_epochs/b/d1").ok());  // as an older eventbarrier left it
  for (int i = 4; i <= 16; ++i) ASSERT_EQ(Pair("d1", i).size(), 1u);
  ASSERT_TRUE(store_.Get(".eventbarrier/_epochs/b/d1").ok())
      << "written with the head hint of generation 16";
  DeleteByHand(".eventbarrier/b/d1/");
  ASSERT_EQ(Pair("d1", 17).size(), 1u);
  EXPECT_EQ(Keys().count("b/d1/1@1"), 1u);
}

// A once instance's folder deleted by hand: prompt copies of its consumed
// arrivals skip the tombstone read (once mode) and re-create their markers.
// The new counter's generation 1 finds their tombstones naming generation 1
// of epoch 0, not its own: stale, so nothing is counted twice (the
// generation is void).
TEST_F(EpochTest, PromptCopiesAfterTheFolderWentAreNotConsumedByTheNewEpoch) {
  ConfigParse once = ParseConfig(kOnceConfig);
  ASSERT_TRUE(once.ok()) << once.ErrorText();
  auto pair = [&] {
    Engine engine(once.config, store_, actions_, clock_, Logger::Null());
    for (const char* m : {"m0", "m1"})
      ASSERT_TRUE(engine.OnArrival(test::Upload(std::string("in/d1/") + m, "1")).ok());
  };
  pair();
  DeleteByHand(".eventbarrier/b/d1/");
  clock_.Advance(1000);
  pair();  // the same two events again, within seconds
  EXPECT_EQ(Keys(), (std::set<std::string>{"b/d1/1"}));
}

// The same for a once instance whose t/ alone went: its kept markers are
// listed by the new counter's generation 1, and their tombstones say they
// were consumed in epoch 0.
TEST_F(EpochTest, KeptMarkersOfADeletedOnceCounterAreNotConsumedAgain) {
  ConfigParse once = ParseConfig(kOnceConfig);
  ASSERT_TRUE(once.ok()) << once.ErrorText();
  {
    Engine engine(once.config, store_, actions_, clock_, Logger::Null());
    for (const char* m : {"m0", "m1"})
      ASSERT_TRUE(engine.OnArrival(test::Upload(std::string("in/d1/") + m, "1")).ok());
  }
  DeleteByHand(".eventbarrier/b/d1/t/");
  clock_.Advance(1000);
  Engine engine(once.config, store_, actions_, clock_, Logger::Null());
  ASSERT_TRUE(engine.OnArrival(test::Upload("in/d1/m0", "2")).ok());
  EXPECT_EQ(Keys(), (std::set<std::string>{"b/d1/1"}));
}

// A warm process keeps generation 1's record cached (its done hint stays 0:
// it never listed t/ after its trip). The folder is deleted by hand, a new
// counter's generation 1 is claimed by another process and its action
// fails. When the warm process re-drives "generation 1", it reads the new
// record (the listing shows another object than the one it cached), so the
// new arrivals trip once, in epoch 1, and the old ones never run again.
TEST_F(EpochTest, AWarmProcessReDrivesTheNewCountersTripNotTheOneItCached) {
  Engine warm(parsed_.config, store_, actions_, clock_, Logger::Null());
  auto arrive = [&](Engine& engine, const char* member, int seq) {
    auto r = engine.OnArrival(test::Upload(std::string("in/d1/") + member, std::to_string(seq)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  };
  arrive(warm, "m0", 1);
  arrive(warm, "m1", 1);
  clock_.Advance(60 * 1000);  // an operator deletes the folder a minute later
  DeleteByHand(".eventbarrier/b/d1/");
  bool failing = true;
  actions_.fail = [&](const ActionSpec&, const TripRecord&) { return failing; };
  {
    Engine other(parsed_.config, store_, actions_, clock_, Logger::Null());
    arrive(other, "m0", 2);
    arrive(other, "m1", 2);
  }
  failing = false;
  clock_.Advance(10 * 60 * 1000);  // past the lease
  arrive(warm, "m0", 3);           // evaluates, and re-drives generation 1
  Engine sweeper(parsed_.config, store_, actions_, clock_, Logger::Null());
  ASSERT_TRUE(sweeper.Sweep(false).ok());
  EXPECT_EQ(Keys(), (std::set<std::string>{"b/d1/1", "b/d1/1@1"}))
      << "the new arrivals trip once, under the new counter's first key (its failed run, then its "
         "re-drive)";
  EXPECT_EQ(actions_.runs().at("b/d1/1@1"), 2);
  const TripRecord& redriven = actions_.last_trip().at("b/d1/1@1");
  ASSERT_EQ(redriven.arrivals.size(), 2u);
  for (const auto& c : redriven.arrivals)
    EXPECT_TRUE(c.arrival.etag.ends_with("-2")) << c.arrival.etag;
}

// `trip --force --dry-run` writes nothing, not even the epoch of an
// unfinished first generation that no finisher has settled yet.
TEST_F(EpochTest, ADryRunForceDoesNotSettleAnEpoch) {
  test::FaultStore faulty(store_, [&](test::StoreOp op, const std::string& key) {
    bool write = op == test::StoreOp::kPut || op == test::StoreOp::kPutIfAbsent;
    return write && key.find("/_epochs/") != std::string::npos ? test::Fault::kUnavailable
                                                               : test::Fault::kNone;
  });
  {
    Engine engine(parsed_.config, faulty, actions_, clock_, Logger::Null());
    for (const char* m : {"in/d1/m0", "in/d1/m1"})
      ASSERT_TRUE(engine.OnArrival(test::Upload(m, "1")).ok());
    ASSERT_TRUE(engine.OnArrival(test::Upload("in/d1/m0", "2")).ok());
  }
  ASSERT_FALSE(store_.Get(".eventbarrier/_epochs/b/d1").ok())
      << "generation 1 claimed, its epoch unsettled";
  Engine op(parsed_.config, store_, actions_, clock_, Logger::Null());
  ForceRequest request;
  request.by = "me";
  request.reason = "a preview";
  request.dry_run = true;
  auto r = op.Force("b", "d1", &request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(request.claim.has_value());
  EXPECT_FALSE(store_.Get(".eventbarrier/_epochs/b/d1").ok()) << "the dry run wrote the witness";
}

TEST(EpochKeys, RoundTrip) {
  KeyLayout layout(".eventbarrier/");
  auto witness = layout.Decode(layout.Encode(StateKey::Epoch("b", "d1")));
  ASSERT_TRUE(witness);
  EXPECT_EQ(witness->kind, StateKeyKind::kEpoch);
  EXPECT_EQ(layout.Encode(StateKey::TripEpoch("b", "_", 3, 2)),
            ".eventbarrier/b/_/t/0000000003.epoch-2");
  auto k = layout.Decode(".eventbarrier/b/_/t/0000000003.epoch-2");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->kind, StateKeyKind::kTripEpoch);
  EXPECT_EQ(k->generation, 3);
  EXPECT_EQ(k->epoch, 2);
  EXPECT_FALSE(layout.Decode(".eventbarrier/b/_/t/0000000003.epoch-0")) << "epoch 0 has no key";
  EXPECT_FALSE(layout.Decode(".eventbarrier/b/_/t/0000000003.epoch-x"));
  // After .done: the LIST from the head hint (start after t/<head>.done) returns it.
  EXPECT_GT(layout.Encode(StateKey::TripEpoch("b", "_", 16, 1)),
            layout.Encode(StateKey::TripDone("b", "_", 16)));

  TripRecord r;
  r.barrier = "b";
  r.instance = "_";
  r.generation = 7;
  EXPECT_EQ(r.IdempotencyKey(), "b/_/7");
  r.epoch = 3;
  EXPECT_EQ(r.IdempotencyKey(), "b/_/7@3");
  auto back = ParseTrip(SerializeTrip(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->epoch, 3);
  r.epoch = 0;
  EXPECT_EQ(SerializeTrip(r).find("epoch"), std::string::npos)
      << "epoch 0 records are written as before";
}

}  // namespace
}  // namespace eb
