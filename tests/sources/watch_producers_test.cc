// The watch loop with what producers write (issue 19): temporary names,
// renames, files that keep changing (stable_for). Scripted watcher, memory
// store, fake clock; tests/cli/watch_producers_e2e.sh does the same with real
// rsync and mv.
#include <gtest/gtest.h>

#include "fakes/fake_dir_watcher.h"
#include "fakes/fault_store.h"
#include "sources/watch_loop.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using test::Batch;
using test::File;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // a file's mtime, ns

class WatchProducersTest : public ::testing::Test {
 protected:
  void Load(const std::string& json) {
    parsed_ = ParseConfig(json);
    if (!parsed_.ok()) throw std::runtime_error("bad test configuration: " + parsed_.ErrorText());
    EngineOptions options;
    options.resume_grace_ms = 0;
    engine_ = std::make_unique<Engine>(parsed_.config, store_, actions_, clock_, Logger::Null(), options);
    journal_ = std::make_unique<SeenJournal>(store_, ".eventbarrier/_watch/seen.json", "config");
    loop_ = std::make_unique<WatchLoop>(watcher_, *engine_, *journal_, clock_, Logger::Null(), WatchLoopOptions{});
    ASSERT_TRUE(loop_->Start().ok());
  }
  // One Step with `files` announced (and on disk as announced).
  void Announce(std::vector<FileEvent> files) {
    for (const auto& f : files) watcher_.on_disk[f.key] = f;
    watcher_.batches.push_back(Batch(std::move(files)));
    ASSERT_TRUE(loop_->Step(0).ok());
  }
  void Wait(TimeMs ms) {
    clock_.Advance(ms);
    ASSERT_TRUE(loop_->Step(0).ok());
  }
  // Runs of the on_complete actions of barrier/instance/generation.
  int Trips(const std::string& idempotency_key) { return actions_.runs()[idempotency_key]; }

  FakeClock clock_;
  MemoryStore store_{clock_};
  test::RecordingActions actions_;
  ConfigParse parsed_;
  test::FakeDirWatcher watcher_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<SeenJournal> journal_;
  std::unique_ptr<WatchLoop> loop_;
};

TEST_F(WatchProducersTest, RsyncTemporaryNameNeverCountsTheFinalNameOnce) {
  Load(R"({"barriers": {"b": {"count": 1, "prefix": "in/{d}", "on_complete": [{"type": "manifest", "key": "r/{d}"}]}}})");
  // rsync: .file.txt.Xy12ab closed, then renamed (same inode) to file.txt.
  Announce({File("in/x/.file.txt.Xy12ab", kT0, 7)});
  EXPECT_EQ(loop_->stats().arrivals, 0);
  EXPECT_EQ(loop_->stats().ignored_by.at(".*"), 1);
  watcher_.on_disk.erase("in/x/.file.txt.Xy12ab");
  Announce({File("in/x/file.txt", kT0, 7)});
  EXPECT_EQ(loop_->stats().arrivals, 1);
  EXPECT_EQ(Trips("b/x/1"), 1);
}

TEST_F(WatchProducersTest, HadoopSideFilesAreCountedByRule) {
  Load(R"({"barriers": {"b": {"count": 2, "prefix": "out/{run}", "on_complete": [{"type": "manifest", "key": "r/{run}"}]}}})");
  Announce({File("out/r1/_temporary/0/part-0", kT0, 1), File("out/r1/.part-0.crc", kT0, 2),
            File("out/r1/part-0._COPYING_", kT0, 3)});
  EXPECT_EQ(loop_->stats().arrivals, 0);
  EXPECT_EQ(loop_->stats().ignored, 3);
  EXPECT_EQ(loop_->stats().ignored_by.at("_*"), 1);
  EXPECT_EQ(loop_->stats().ignored_by.at(".*"), 1);
  EXPECT_EQ(loop_->stats().ignored_by.at("*._COPYING_"), 1);
  Announce({File("out/r1/part-0", kT0, 4), File("out/r1/part-1", kT0, 5)});
  EXPECT_EQ(Trips("b/r1/1"), 1);
}

constexpr const char* kStable = R"({"barriers": {"b": {"count": 1, "prefix": "in/{d}", "stable_for": "10s",
    "on_complete": [{"type": "manifest", "key": "r/{d}"}]}}})";

TEST_F(WatchProducersTest, StableForHoldsUntilQuiet) {
  Load(kStable);
  Announce({File("in/x/log.dat", kT0, 1, 10)});
  EXPECT_EQ(loop_->held(), 1u);
  EXPECT_EQ(loop_->stats().arrivals, 0) << "not counted at its first close";
  Wait(6'000);
  Announce({File("in/x/log.dat", kT0 + 1, 1, 20)});  // appended and closed again: the clock restarts
  Wait(6'000);
  EXPECT_EQ(loop_->stats().arrivals, 0) << "12 s after the first close, but 6 s after the last change";
  Wait(4'000);
  EXPECT_EQ(loop_->stats().arrivals, 1);
  EXPECT_EQ(loop_->held(), 0u);
  EXPECT_EQ(Trips("b/x/1"), 1);
}

TEST_F(WatchProducersTest, StableForSeesChangesWithoutEvents) {
  // An NFS appender sends no event; the size it reaches is seen when the hold ends.
  Load(kStable);
  Announce({File("in/x/log.dat", kT0, 1, 10)});
  watcher_.on_disk["in/x/log.dat"] = File("in/x/log.dat", kT0 + 5, 1, 99);
  Wait(10'000);
  EXPECT_EQ(loop_->stats().arrivals, 0) << "it changed during the hold: held again";
  Wait(10'000);
  EXPECT_EQ(loop_->stats().arrivals, 1);
}

TEST_F(WatchProducersTest, StableForRenamedAwayCountsOnceUnderTheNewName) {
  Load(kStable);
  Announce({File("in/x/draft.dat", kT0, 1)});
  Wait(3'000);
  watcher_.on_disk.erase("in/x/draft.dat");
  Announce({File("in/x/final.dat", kT0, 1)});
  Wait(10'000);
  EXPECT_EQ(loop_->stats().arrivals, 1);
  EXPECT_EQ(loop_->stats().unstable_gone, 1) << "draft.dat was gone when its hold ended";
  EXPECT_EQ(Trips("b/x/1"), 1);
}

TEST_F(WatchProducersTest, StableForDeletedNeverCounts) {
  Load(kStable);
  Announce({File("in/x/oops.dat", kT0, 1)});
  watcher_.on_disk.clear();
  Wait(20'000);
  EXPECT_EQ(loop_->stats().arrivals, 0);
  EXPECT_EQ(loop_->held(), 0u);
  EXPECT_TRUE(actions_.runs().empty());
}

TEST_F(WatchProducersTest, StableForAppliesOnlyToItsBarrier) {
  Load(R"({"barriers": {
    "slow": {"count": 1, "prefix": "slow", "stable_for": "10s",
             "on_complete": [{"type": "manifest", "key": "r/{barrier}"}]},
    "fast": {"count": 1, "prefix": "fast", "on_complete": [{"type": "manifest", "key": "r/{barrier}"}]}}})");
  Announce({File("fast/a", kT0, 1), File("slow/a", kT0, 2)});
  EXPECT_EQ(Trips("fast/_/1"), 1);
  EXPECT_EQ(Trips("slow/_/1"), 0);
  Wait(10'000);
  EXPECT_EQ(Trips("slow/_/1"), 1);
}

}  // namespace
}  // namespace eb
