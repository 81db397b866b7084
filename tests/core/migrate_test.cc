// `eventbarrier migrate` on state written by the engine of format 1 (the
// commit before the bounded protocol): testdata/format1-state holds what that
// binary wrote for 20 generations of a two-member cyclic barrier (records
// carrying a consumed window, one window checkpoint at generation 16, a head
// hint, an open marker of generation 21), made with
//   eventbarrier handle --config format1-state.config.json --state file://DIR ev-*.json
#include "core/migrate.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/folder_store.h"

namespace eb {
namespace {

namespace fs = std::filesystem;

// The claim time of the fixture's generation 20, plus an hour.
constexpr TimeMs kFixtureNow = 1'796'564'695'000 + 3'600'000;

Arrival Event(const std::string& member, int generation) {
  char seq[8];
  std::snprintf(seq, sizeof seq, "%04d", generation);
  Arrival a = test::Upload("in/" + member + "/f", seq, "bkt");
  a.etag = std::string("e") + seq;
  return a;
}

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/eb-migrate-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    fs::copy(fs::path(EB_TESTDATA) / "format1-state", dir_, fs::copy_options::recursive);
    parsed_ = ParseConfig(R"({"pair": ["in/a", "in/b"]})");
    ASSERT_TRUE(parsed_.ok());
    store_ = std::make_unique<FolderStore>(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<Engine> NewEngine() {
    return std::make_unique<Engine>(parsed_.config, *store_, actions_, clock_, Logger::Null());
  }
  std::string dir_;
  ConfigParse parsed_;
  std::unique_ptr<FolderStore> store_;
  FakeClock clock_{kFixtureNow};
  test::RecordingActions actions_;
};

TEST_F(MigrateTest, TheNewEngineRefusesFormatOneAndNamesMigrate) {
  auto r = NewEngine()->OnArrival(Event("b", 21));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("eventbarrier migrate"), std::string::npos) << r.status().ToString();
  auto sweep = NewEngine()->Sweep();
  EXPECT_FALSE(sweep.ok()) << "the sweeper refuses too";
}

TEST_F(MigrateTest, MigrationConvertsOnceAndKeepsEveryPromise) {
  auto first = MigrateState(*store_, parsed_.config, clock_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->already_current);
  EXPECT_EQ(first->instances, 1);
  EXPECT_EQ(first->records_rewritten, 20);
  EXPECT_EQ(first->tombstones_written, 40) << "every id the 20 generations consumed";
  EXPECT_EQ(first->checkpoints_deleted, 1);
  EXPECT_FALSE(store_->Get(".eventbarrier/pair/_/t/0000000020")->find("\"window\"") != std::string::npos);

  // Idempotent: a second run finds nothing to do.
  auto second = MigrateState(*store_, parsed_.config, clock_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->already_current);
  EXPECT_EQ(second->records_rewritten, 0);
  EXPECT_EQ(second->tombstones_written, 0);
  EXPECT_EQ(second->checkpoints_deleted, 0);

  auto engine = NewEngine();
  // Late copies of arrivals consumed before the migration (one from the
  // checkpoint's part of the window, one from the newest record) count nothing.
  for (int g : {3, 20}) {
    auto late = engine->OnArrival(Event("a", g));
    ASSERT_TRUE(late.ok()) << late.status().ToString();
    EXPECT_EQ(late->late_duplicates, 1) << g;
    EXPECT_TRUE(late->trips.empty()) << g;
  }
  // The arrival of generation 21 written by the old binary (a marker without
  // details in its key) and a new one trip generation 21.
  auto trip = engine->OnArrival(Event("b", 21));
  ASSERT_TRUE(trip.ok()) << trip.status().ToString();
  ASSERT_EQ(trip->trips.size(), 1u);
  EXPECT_EQ(trip->trips[0].generation, 21);
  EXPECT_EQ(trip->trips[0].objects, 2u);
}

}  // namespace
}  // namespace eb
