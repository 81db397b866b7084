// The embedded mode's loop over a scripted watcher, the memory store and a fake clock.
#include "sources/watch_loop.h"

#include <gtest/gtest.h>

#include "fakes/fake_dir_watcher.h"
#include "fakes/fault_store.h"
#include "sources/local_files.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using test::Batch;
using test::File;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // a file's mtime, ns

class WatchLoopTest : public ::testing::Test {
 protected:
  void Load(const std::string& json, WatchLoopOptions options = {}) {
    parsed_ = ParseConfig(json);
    if (!parsed_.ok()) throw std::runtime_error("bad test configuration: " + parsed_.ErrorText());
    options_ = std::move(options);
    NewProcess();
  }
  // A fresh engine, journal and loop over the same store: a restart.
  void NewProcess(const std::string& fingerprint = "config-1") {
    loop_.reset();
    EngineOptions options;
    options.resume_grace_ms = 0;  // as `watch` runs it: the only watch of its state
    engine_ = std::make_unique<Engine>(parsed_.config, store_, actions_, clock_, Logger::Null(), options);
    journal_ = std::make_unique<SeenJournal>(store_, ".eventbarrier/_watch/seen.json", fingerprint);
    watcher_ = test::FakeDirWatcher{};
    loop_ = std::make_unique<WatchLoop>(watcher_, *engine_, *journal_, clock_, Logger::Null(), options_);
  }
  int Trips(const std::string& idempotency_key) { return actions_.runs()[idempotency_key]; }

  FakeClock clock_;
  MemoryStore store_{clock_};
  test::RecordingActions actions_;
  ConfigParse parsed_;
  WatchLoopOptions options_;
  test::FakeDirWatcher watcher_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<SeenJournal> journal_;
  std::unique_ptr<WatchLoop> loop_;
};

constexpr const char* kTwo = R"({"barriers": {"b": {"members": ["in/x", "in/y"],
    "on_complete": [{"type": "manifest", "key": "ready/{generation}.json"}]}}})";

TEST_F(WatchLoopTest, ScanThenEventsTripOnceDuplicatesFolded) {
  Load(kTwo);
  watcher_.initial = {File("in/x/1.csv", kT0, 1)};
  ASSERT_TRUE(loop_->Start().ok());
  // inotify reports x again (closed twice), and y.
  watcher_.batches.push_back(Batch({File("in/x/1.csv", kT0, 1), File("in/y/1.csv", kT0, 2)}));
  ASSERT_TRUE(loop_->Step(0).ok());
  EXPECT_EQ(Trips("b/_/1"), 1);
  EXPECT_EQ(loop_->stats().trips, 1);
  EXPECT_EQ(loop_->stats().arrivals, 2);
  // The same versions once more (a second close event): nothing new.
  watcher_.batches.push_back(Batch({File("in/x/1.csv", kT0, 1), File("in/y/1.csv", kT0, 2)}));
  ASSERT_TRUE(loop_->Step(0).ok());
  EXPECT_EQ(actions_.runs().size(), 1u);
  EXPECT_EQ(loop_->stats().skipped, 3) << "the journal folds repeats before the engine sees them";
}

TEST_F(WatchLoopTest, RewrittenFileAfterAOnceTripIsLateAndRunsOnLate) {
  // Issue 14: a once-mode instance that tripped never consumes a rewrite.
  Load(R"({"barriers": {"b": {"members": ["in/{d}/x", "in/{d}/y"],
      "on_complete": [{"type": "manifest", "key": "ready/{d}.json"}],
      "on_late": [{"type": "manifest", "key": "late/{d}.json"}]}}})");
  ASSERT_TRUE(loop_->Start().ok());
  watcher_.batches.push_back(Batch({File("in/1/x", kT0, 1), File("in/1/y", kT0, 2)}));
  watcher_.batches.push_back(Batch({File("in/1/x", kT0 + 5'000'000, 1)}));  // x rewritten
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(loop_->Step(0).ok());
  EXPECT_EQ(Trips("b/1/1"), 1);
  EXPECT_EQ(loop_->stats().arrivals, 3);
  EXPECT_EQ(loop_->stats().late, 1);
  int late_runs = 0;
  for (const auto& [key, n] : actions_.runs()) late_runs += key.rfind("b/1/1/late/", 0) == 0 ? n : 0;
  EXPECT_EQ(late_runs, 1);
}

TEST_F(WatchLoopTest, RewrittenFilesStartTheNextGeneration) {
  Load(kTwo);
  ASSERT_TRUE(loop_->Start().ok());
  watcher_.batches.push_back(Batch({File("in/x/1.csv", kT0, 1), File("in/y/1.csv", kT0, 2)}));
  watcher_.batches.push_back(Batch({File("in/x/1.csv", kT0 + 5'000'000, 1)}));  // x rewritten
  watcher_.batches.push_back(Batch({File("in/y/1.csv", kT0, 3)}));              // y replaced by rename
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(loop_->Step(0).ok());
  EXPECT_EQ(Trips("b/_/1"), 1);
  EXPECT_EQ(Trips("b/_/2"), 1);
}

TEST_F(WatchLoopTest, RestartSubmitsOnlyNewOrChangedFiles) {
  Load(kTwo);
  std::vector<FileEvent> files = {File("in/x/1.csv", kT0, 1), File("in/y/1.csv", kT0, 2)};
  watcher_.initial = files;
  ASSERT_TRUE(loop_->Start().ok());
  ASSERT_TRUE(loop_->Finish().ok());
  EXPECT_EQ(Trips("b/_/1"), 1);

  NewProcess();
  files.push_back(File("in/x/2.csv", kT0, 4));  // arrived while stopped
  files[1] = File("in/y/1.csv", kT0 + 1, 2);     // rewritten while stopped
  watcher_.initial = files;
  ASSERT_TRUE(loop_->Start().ok());
  EXPECT_EQ(loop_->stats().skipped, 1) << "in/x/1.csv is unchanged";
  EXPECT_EQ(loop_->stats().arrivals, 2);
  EXPECT_EQ(Trips("b/_/2"), 1);
  EXPECT_EQ(actions_.runs().size(), 2u);
}

TEST_F(WatchLoopTest, WithoutTheJournalARescanIsHarmless) {
  Load(kTwo);
  watcher_.initial = {File("in/x/1.csv", kT0, 1), File("in/y/1.csv", kT0, 2)};
  ASSERT_TRUE(loop_->Start().ok());
  ASSERT_TRUE(loop_->Finish().ok());
  std::vector<FileEvent> files = watcher_.initial;
  NewProcess("config-2");  // another configuration: the journal is not trusted
  watcher_.initial = files;
  ASSERT_TRUE(loop_->Start().ok());
  EXPECT_EQ(loop_->stats().skipped, 0);
  EXPECT_EQ(actions_.runs().size(), 1u) << "the rescanned files are consumed duplicates: no second trip";
  EXPECT_EQ(Trips("b/_/1"), 1);
}

TEST_F(WatchLoopTest, FullScanForgetsDeletedFiles) {
  Load(kTwo);
  watcher_.initial = {File("in/x/1.csv", kT0, 1), File("other", kT0, 9)};
  ASSERT_TRUE(loop_->Start().ok());
  EXPECT_EQ(journal_->size(), 2u) << "files matching no barrier are recorded too";
  WatchBatch overflow = Batch({File("in/x/1.csv", kT0, 1)});
  overflow.full_scan = true;
  watcher_.batches.push_back(overflow);
  ASSERT_TRUE(loop_->Step(0).ok());
  EXPECT_EQ(journal_->size(), 1u);
}

TEST_F(WatchLoopTest, IgnoredKeysNeverReachTheEngine) {
  WatchLoopOptions options;
  options.ignore = [](const std::string& key) { return MatchesKeyTemplate("in/x/{n}.json", key); };
  Load(kTwo, options);
  watcher_.initial = {File("in/x/m.json", kT0, 1), File("in/y/1.csv", kT0, 2)};
  ASSERT_TRUE(loop_->Start().ok());
  EXPECT_EQ(loop_->stats().ignored, 1);
  EXPECT_EQ(loop_->stats().arrivals, 1);
  EXPECT_TRUE(actions_.runs().empty());
}

TEST_F(WatchLoopTest, SweepsOnATimerAndTripsTimeouts) {
  WatchLoopOptions options;
  options.sweep_every_ms = 5000;
  Load(R"({"barriers": {"s": {"members": ["s/{d}/a", "s/{d}/b"], "timeout": "10s",
           "on_timeout": [{"type": "manifest", "key": "late/{d}.json"}]}}})",
       options);
  watcher_.initial = {File("s/d1/a", kT0, 1)};
  watcher_.on_wait = [&](int ms) { clock_.Advance(ms); };
  ASSERT_TRUE(loop_->Start().ok());
  ASSERT_TRUE(loop_->Step(60'000).ok());
  EXPECT_EQ(watcher_.waits.back(), 0) << "the first sweep is due at once";
  EXPECT_EQ(loop_->stats().sweeps, 1);
  ASSERT_TRUE(loop_->Step(60'000).ok());
  EXPECT_EQ(watcher_.waits.back(), 5000) << "then waits exactly until the next sweep";
  EXPECT_EQ(loop_->stats().timeouts, 0);
  ASSERT_TRUE(loop_->Step(60'000).ok());
  EXPECT_EQ(loop_->stats().sweeps, 3);
  EXPECT_EQ(loop_->stats().timeouts, 1) << "10 s after the first arrival";
  auto trip = actions_.last_trip()["s/d1/1"];
  EXPECT_EQ(trip.status, TripStatus::kTimeout);
  EXPECT_EQ(trip.missing, std::vector<std::string>{"s/d1/b"});
}

// A failing action does not fail the arrival (it is recorded and journaled):
// its trip stays unfinished and the loop's sweeper re-drives it with backoff.
TEST_F(WatchLoopTest, FailedActionIsRedrivenByTheSweeper) {
  Load(kTwo);
  bool failing = true;
  actions_.fail = [&](const ActionSpec&, const TripRecord&) { return failing; };
  watcher_.on_wait = [&](int ms) { clock_.Advance(ms); };
  watcher_.initial = {File("in/x/1.csv", kT0, 1), File("in/y/1.csv", kT0, 2)};
  const TimeMs failed_at = clock_.NowMs();
  ASSERT_TRUE(loop_->Start().ok());
  EXPECT_EQ(loop_->stats().failures, 0);
  EXPECT_EQ(loop_->stats().trip_failures, 1);
  EXPECT_EQ(loop_->pending_retries(), 0u) << "the arrival itself succeeded";
  EXPECT_EQ(Trips("b/_/1"), 1);
  ASSERT_TRUE(loop_->Step(60'000).ok());  // sweep: the backoff (one lease) not over yet
  EXPECT_EQ(Trips("b/_/1"), 1);
  failing = false;
  // A sweep every 5 s; the backoff of attempt 1 is one lease (5 min).
  for (int i = 0; i < 100 && Trips("b/_/1") < 2; ++i) ASSERT_TRUE(loop_->Step(60'000).ok());
  EXPECT_GE(clock_.NowMs() - failed_at, parsed_.config.state.lease_ms);
  EXPECT_EQ(Trips("b/_/1"), 2);
  EXPECT_EQ(loop_->stats().trips, 1);
  EXPECT_TRUE(store_.Get(".eventbarrier/b/_/t/0000000001.done").ok());
  ASSERT_TRUE(loop_->Finish().ok());
}

TEST_F(WatchLoopTest, StopFinishesTheCurrentArrivalAndLeavesTheRest) {
  WatchLoopOptions options;
  int submitted = 0;
  options.stop_requested = [&] { return submitted >= 1; };
  options.ignore = [&](const std::string&) {
    ++submitted;
    return false;
  };
  Load(kTwo, options);
  watcher_.initial = {File("in/x/1.csv", kT0, 1), File("in/y/1.csv", kT0, 2)};
  ASSERT_TRUE(loop_->Run().ok());
  EXPECT_EQ(submitted, 1);
  EXPECT_EQ(loop_->stats().arrivals, 1);
  EXPECT_EQ(journal_->size(), 1u);
  auto saved = store_.Get(".eventbarrier/_watch/seen.json");
  ASSERT_TRUE(saved.ok()) << "the journal is saved on the way out";
  EXPECT_NE(saved->find("in/x/1.csv"), std::string::npos);
}

TEST_F(WatchLoopTest, WatcherFailureEndsRun) {
  Load(kTwo);
  watcher_.fail = Status::NotFound("the watched directory was removed");
  Status s = loop_->Run();
  EXPECT_TRUE(s.IsNotFound());
}

TEST(SeenJournalTest, RoundTripFingerprintAndCorruption) {
  FakeClock clock;
  MemoryStore store(clock);
  SeenJournal j(store, "j", "f1");
  EXPECT_TRUE(j.Load().IsNotFound());
  j.Record("a", "v1");
  j.Record("b", "v1");
  EXPECT_TRUE(j.dirty());
  ASSERT_TRUE(j.Save().ok());
  EXPECT_FALSE(j.dirty());
  j.Record("a", "v1");
  EXPECT_FALSE(j.dirty()) << "recording what it holds changes nothing";
  SeenJournal again(store, "j", "f1");
  ASSERT_TRUE(again.Load().ok());
  EXPECT_TRUE(again.Seen("a", "v1"));
  EXPECT_FALSE(again.Seen("a", "v2"));
  SeenJournal other(store, "j", "f2");
  EXPECT_FALSE(other.Load().ok());
  EXPECT_EQ(other.size(), 0u);
  ASSERT_TRUE(store.Put("j", "{not json").ok());
  EXPECT_FALSE(again.Load().ok());
  EXPECT_EQ(again.size(), 0u);
}

}  // namespace
}  // namespace eb
