#include "core/trip_log.h"

#include <gtest/gtest.h>

#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using test::RecordingActions;

// Counts the keys of trip logs (".../t/...") that LISTs returned: of t/, or
// of a whole instance (a cold arrival's, core/arrival_listing.h).
class TripListingStore : public test::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<ListPage> List(const ListOptions& options) override {
    auto page = base_.List(options);
    if (page.ok()) {
      for (const auto& o : page->objects)
        listed_trip_keys += o.key.find("/t/") != std::string::npos;
    }
    return page;
  }
  int64_t listed_trip_keys = 0;
};

class TripLogTest : public ::testing::Test {
 protected:
  void Load(const std::string& json) {
    parsed_ = ParseConfig(json);
    if (!parsed_.ok()) throw std::runtime_error("bad test configuration: " + parsed_.ErrorText());
  }
  // Both members of generation `n` through `engine`, which must trip it.
  void Trip(Engine& engine, int n) {
    std::string seq = std::to_string(n);
    ASSERT_TRUE(engine.OnArrival(test::Upload("m0", seq)).ok());
    auto r = engine.OnArrival(test::Upload("m1", seq));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->trips.size(), 1u) << n;
  }
  FakeClock clock_;
  MemoryStore store_{clock_};
  RecordingActions actions_;
  ConfigParse parsed_;
};

// The in-memory done hint follows what other processes finished: a warm
// process that tripped generation 1 long ago does not list every later
// generation's keys on each evaluation.
TEST_F(TripLogTest, DoneHintFollowsGenerationsOtherProcessesFinished) {
  Load(R"({"b": ["m0", "m1"]})");
  TripListingStore listing(store_);
  Engine warm(parsed_.config, listing, actions_, clock_, Logger::Null());
  Engine other(parsed_.config, store_, actions_, clock_, Logger::Null());
  Trip(warm, 1);
  for (int n = 2; n <= 100; ++n) Trip(other, n);
  listing.listed_trip_keys = 0;
  Trip(warm, 101);
  EXPECT_GE(listing.listed_trip_keys, 2 * 99) << "the first look lists from the hint it had";
  for (int n = 102; n <= 104; ++n) {
    listing.listed_trip_keys = 0;
    Trip(warm, n);
    EXPECT_LE(listing.listed_trip_keys, 4)
        << "then from what that listing showed done, generation " << n;
  }
}

// A cold process reads `head` only for a history longer than one page of
// t/: a short one is listed whole from the start, a long one from the hint
// (the first page, then at most ~2 x head_every keys).
TEST_F(TripLogTest, AColdProcessReadsHeadOnlyForAHistoryLongerThanAPage) {
  Load(R"({"b": ["m0", "m1"]})");
  Engine other(parsed_.config, store_, actions_, clock_, Logger::Null());
  auto cold_trip = [&](int n, int* head_reads, int64_t* listed) {
    TripListingStore listing(store_);
    test::WatchedStore heads(listing, [](test::StoreOp op, const std::string& key) {
      return op == test::StoreOp::kGet && key.ends_with("/head");
    });
    Engine cold(parsed_.config, heads.store, actions_, clock_, Logger::Null());
    Trip(cold, n);
    *head_reads = heads.count;
    *listed = listing.listed_trip_keys;
  };
  for (int n = 1; n <= 20; ++n) Trip(other, n);
  int head_reads = -1;
  int64_t listed = -1;
  cold_trip(21, &head_reads, &listed);
  EXPECT_EQ(head_reads, 0) << "21 generations fit in one page";
  EXPECT_GE(listed, 2 * 20);
  for (int n = 22; n <= 600; ++n) Trip(other, n);  // record and .done each: past a page
  cold_trip(601, &head_reads, &listed);
  EXPECT_EQ(head_reads, 1);
  // The first arrival's listing of the whole instance (a page of 102 keys),
  // then one page of t/ from the start, then from the hint.
  EXPECT_LE(listed, 102 + 1000 + 4 * 16) << "one page from the start, then from the hint";
}

// A cold process that lists a compacted history whole (its oldest records
// gone) knows every generation below the first record is done: it raises its
// hint from there, lists from it afterwards, and writes `head` on schedule.
TEST_F(TripLogTest, AColdProcessOnACompactedHistoryKnowsWhatIsDone) {
  Load(R"({"b": ["m0", "m1"]})");
  Engine other(parsed_.config, store_, actions_, clock_, Logger::Null());
  for (int n = 1; n <= 40; ++n) Trip(other, n);
  auto keys = ListAll(store_, ".eventbarrier/b/_/t/");
  ASSERT_TRUE(keys.ok());
  for (const auto& o : *keys) {  // what compaction leaves: generations 31 and later
    if (o.key < ".eventbarrier/b/_/t/0000000031") {
      ASSERT_TRUE(store_.Delete(o.key).ok());
    }
  }
  TripListingStore listing(store_);
  Engine cold(parsed_.config, listing, actions_, clock_, Logger::Null());
  Trip(cold, 41);
  listing.listed_trip_keys = 0;
  Trip(cold, 42);
  EXPECT_LE(listing.listed_trip_keys, 4) << "from the hint raised to generation 41";
  for (int n = 43; n <= 48; ++n) Trip(cold, n);
  EXPECT_EQ(*store_.Get(".eventbarrier/b/_/head"), "48") << "head written every 16 generations";
}

// A barrier made once-mode after a long cyclic history (docs/OPERATORS.md,
// "The mode changed to `once`"): its instance has many generations, the
// oldest compacted. A process learns what is done there as on any history,
// so later arrivals (late ones: it never trips again) do not list all of t/.
TEST_F(TripLogTest, AOnceInstanceWithACyclicPastKnowsWhatIsDone) {
  Load(R"({"b": ["m0", "m1"]})");
  Engine other(parsed_.config, store_, actions_, clock_, Logger::Null());
  for (int n = 1; n <= 600; ++n) Trip(other, n);  // record and .done each: past a page
  auto keys = ListAll(store_, ".eventbarrier/b/_/t/");
  ASSERT_TRUE(keys.ok());
  for (const auto& o : *keys) {  // what compaction leaves: generations 51 and later
    if (o.key < ".eventbarrier/b/_/t/0000000051") {
      ASSERT_TRUE(store_.Delete(o.key).ok());
    }
  }
  Load(R"({"barriers": {"b": {"members": ["m0", "m1"], "mode": "once"}}})");
  TripListingStore listing(store_);
  Engine once(parsed_.config, listing, actions_, clock_, Logger::Null());
  for (int n = 1; n <= 3; ++n) {
    listing.listed_trip_keys = 0;
    std::string seq = "late-" + std::to_string(n);
    ASSERT_TRUE(once.OnArrival(test::Upload("m0", seq)).ok());
    auto r = once.OnArrival(test::Upload("m1", seq));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->trips.empty()) << "a once instance that tripped never trips again";
    if (n > 1) {
      EXPECT_LE(listing.listed_trip_keys, 8) << n << ": from a hint of generation 600";
    }
  }
}

// An idle cyclic instance left the open index (docs/PROTOCOL.md, "Idle
// instances leave the index") with a long history, the oldest compacted: the
// arrival that indexes it again learns what is done there as on any history.
TEST_F(TripLogTest, AnInstanceComingBackToTheIndexKnowsWhatIsDone) {
  Load(R"({"barriers": {"b": {"members": ["{r}/m0", "{r}/m1"], "mode": "cyclic"}}})");
  Engine other(parsed_.config, store_, actions_, clock_, Logger::Null());
  auto trip = [&](Engine& engine, const std::string& seq) {
    ASSERT_TRUE(engine.OnArrival(test::Upload("x/m0", seq)).ok());
    auto r = engine.OnArrival(test::Upload("x/m1", seq));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->trips.size(), 1u) << seq;
  };
  for (int n = 1; n <= 600; ++n) trip(other, std::to_string(n));
  auto keys = ListAll(store_, ".eventbarrier/b/x/t/");
  ASSERT_TRUE(keys.ok());
  for (const auto& o : *keys) {  // what compaction leaves: generations 51 and later
    if (o.key < ".eventbarrier/b/x/t/0000000051") {
      ASSERT_TRUE(store_.Delete(o.key).ok());
    }
  }
  ASSERT_TRUE(store_.Delete(".eventbarrier/_open/b/x").ok());  // idle: it left
  TripListingStore listing(store_);
  Engine back(parsed_.config, listing, actions_, clock_, Logger::Null());
  trip(back, "601");
  listing.listed_trip_keys = 0;
  trip(back, "602");
  EXPECT_LE(listing.listed_trip_keys, 8) << "from a hint of generation 601";
}

TEST(AttemptKeysTest, RoundTripPast9999AndOldKeysStillRead) {
  KeyLayout layout(".eventbarrier/");
  for (int n : {1, 2, 9'999, 10'000, 10'001, 123'456, 1'000'000'000}) {
    for (StateKey k :
         {StateKey::TripAttempt("b", "_", 7, n), StateKey::TripRerun("b", "_", 7, n)}) {
      std::string key = layout.Encode(k);
      auto back = layout.Decode(key);
      ASSERT_TRUE(back) << key;
      EXPECT_EQ(back->kind, k.kind) << key;
      EXPECT_EQ(back->attempt, n) << key;
    }
  }
  // Keys written before: four digits, zero-padded.
  EXPECT_EQ(layout.Decode(".eventbarrier/b/_/t/0000000007.attempt-0002")->attempt, 2);
  EXPECT_EQ(layout.Decode(".eventbarrier/b/_/t/0000000007.attempt-9999")->attempt, 9'999);
  EXPECT_EQ(layout.Decode(".eventbarrier/b/_/t/0000000007.rerun-0003")->attempt, 3);
  EXPECT_FALSE(layout.Decode(".eventbarrier/b/_/t/0000000007.attempt-1x000"));
  // A listing returns "attempt-10000" before "attempt-9999": the scan takes the highest number.
  std::vector<ObjectInfo> listed;
  for (int n : {10'000, 9'999, 2})
    listed.push_back({layout.Encode(StateKey::TripAttempt("b", "_", 7, n)), 0, 0});
  std::sort(listed.begin(), listed.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  EXPECT_EQ(ScanTripKeys(layout, listed)[7].attempts, 10'000);
}

// A trip re-driven 9,999 times goes on being re-driven (attempt 10,000,
// 10,001, ...) and finishes once its action succeeds.
TEST_F(TripLogTest, RedrivesGoOnPastAttempt9999) {
  Load(
      R"({"barriers": {"b": {"members": ["m0", "m1"], "on_complete": [{"type": "exec", "command": ["true"]}]}}})");
  Engine engine(parsed_.config, store_, actions_, clock_, Logger::Null());
  bool failing = true;
  actions_.fail = [&](const ActionSpec&, const TripRecord&) { return failing; };
  ASSERT_TRUE(engine.OnArrival(test::Upload("m0")).ok());
  auto failed = engine.OnArrival(test::Upload("m1"));
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ(failed->trip_failures, 1) << "the action failed";
  ASSERT_TRUE(store_.Put(".eventbarrier/b/_/t/0000000001.attempt-9999", "w").ok());
  // Past the backoff of any attempt: its cap.
  const TimeMs past_backoff = std::max(parsed_.config.state.lease_ms, kMaxRedriveBackoffMs) + 1000;
  for (int n : {10'000, 10'001}) {
    clock_.Advance(past_backoff);
    auto swept = engine.Sweep();
    ASSERT_TRUE(swept.ok()) << swept.status().ToString();
    EXPECT_EQ(swept->trip_failures, 1) << "still failing";
    EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000001.attempt-" + std::to_string(n)).ok())
        << n;
  }
  failing = false;
  clock_.Advance(past_backoff);
  auto swept = engine.Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  ASSERT_EQ(swept->trips.size(), 1u);
  EXPECT_TRUE(swept->trips[0].redriven);
  EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000001.attempt-10002").ok());
  EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000001.done").ok());
}

}  // namespace
}  // namespace eb
