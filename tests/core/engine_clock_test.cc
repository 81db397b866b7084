// One clock, the store's (base/server_time.h): a replica whose own clock is
// wrong judges timeouts in the store's time once its store has told it the
// offset, and says so in its log.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/server_time.h"
#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "fakes/log_file.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

constexpr TimeMs kMinute = 60 * 1000;

// A memory store that keeps `store_clock`'s time (its LastModified) and,
// like S3Store, reports what it learned of the offset to the caller's clock.
class StoreWithServerTime : public MemoryStore {
 public:
  explicit StoreWithServerTime(Clock& store_clock) : MemoryStore(store_clock) {}
  const ServerTimeOffset* ServerTime() const override { return &offset_; }
  ServerTimeOffset offset_;
};

class EngineClockTest : public ::testing::TestWithParam<TimeMs> {
 protected:
  // The local clock is GetParam() ms off the store's; `told` says whether the
  // store has learned the offset (an answer's Date header).
  void Start(bool told) {
    local_.Set(store_clock_.NowMs() + GetParam());
    if (told) store_.offset_.Observe(local_.NowMs(), local_.NowMs(), store_clock_.NowMs());
    log_ = std::make_unique<test::LogFile>();
    parsed_ = ParseConfig(
        R"({"barriers": {"sales": {"members": ["s/{date}/east.csv", "s/{date}/west.csv"],
                              "timeout": "1h"}}})");
    ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
    engine_ = std::make_unique<Engine>(parsed_.config, store_, actions_, local_, log_->logger());
  }
  void Advance(TimeMs ms) {
    store_clock_.Advance(ms);
    local_.Advance(ms);
  }
  size_t SweepTrips() {
    auto sweep = engine_->Sweep();
    EXPECT_TRUE(sweep.ok()) << sweep.status().ToString();
    return sweep.ok() ? sweep->trips.size() : 0;
  }
  std::string Log() { return log_->Text(); }

  FakeClock store_clock_;
  FakeClock local_;
  StoreWithServerTime store_{store_clock_};
  test::RecordingActions actions_;
  std::unique_ptr<test::LogFile> log_;
  ConfigParse parsed_;
  std::unique_ptr<Engine> engine_;
};

TEST_P(EngineClockTest, TimeoutIsJudgedInTheStoresTime) {
  Start(/*told=*/true);
  ASSERT_TRUE(engine_->OnArrival(test::Upload("s/d1/east.csv", "1", "bkt")).ok());
  Advance(55 * kMinute);
  EXPECT_EQ(SweepTrips(), 0u)
      << "55 minutes of store time: not yet due, whatever this machine's clock says";
  Advance(6 * kMinute);
  EXPECT_EQ(SweepTrips(), 1u)
      << "61 minutes of store time: due, whatever this machine's clock says";
  bool logged = Log().find("store_clock_offset_ms") != std::string::npos;
  EXPECT_EQ(logged, std::llabs(GetParam()) >= StoreTimeClock::kDefaultNoticeMs)
      << "an offset above a few seconds is logged, a small one is not: " << Log();
}

TEST_P(EngineClockTest, WithoutTheStoresWordTheLocalClockJudges) {
  // The baseline that shows what the offset is for: told nothing, a slow
  // clock trips late and a fast one early.
  Start(/*told=*/false);
  ASSERT_TRUE(engine_->OnArrival(test::Upload("s/d1/east.csv", "1", "bkt")).ok());
  Advance(55 * kMinute);
  size_t early = SweepTrips();
  Advance(6 * kMinute);
  size_t due = early + SweepTrips();
  if (GetParam() > 5 * kMinute) {
    EXPECT_EQ(early, 1u) << "a fast local clock trips before the store-time deadline";
  } else if (GetParam() < -6 * kMinute) {
    EXPECT_EQ(due, 0u) << "a slow local clock has not tripped by the store-time deadline";
  }
  EXPECT_EQ(Log().find("store_clock_offset_ms"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Skews, EngineClockTest,
                         ::testing::Values(-20 * kMinute, 20 * kMinute, 1500),
                         [](const auto& info) {
                           return info.param < 0 ? std::string("LocalSlow") +
                                                       std::to_string(-info.param / 1000)
                                                 : std::string("LocalFast") +
                                                       std::to_string(info.param / 1000);
                         });

TEST(ServerTimeOffsetTest, BoundsFromDateHeadersNarrowAndRestartWhenContradicted) {
  ServerTimeOffset offset;
  EXPECT_FALSE(offset.Known());
  EXPECT_EQ(offset.EstimateMs(), 0);
  // Sent at local 10,000, received at 10,200; the server said 70 s (whole
  // seconds): the offset is in [70,000 - 10,200, 71,000 - 10,000].
  offset.Observe(10'000, 10'200, 70'000);
  EXPECT_TRUE(offset.Known());
  EXPECT_EQ(offset.EstimateMs(), (59'800 + 61'000) / 2);
  // A later answer tightens it: [60,000, 60,900] ∩ previous.
  offset.Observe(20'100, 20'100, 80'000);
  EXPECT_GE(offset.EstimateMs(), 59'900);
  EXPECT_LE(offset.EstimateMs(), 61'000);
  EXPECT_LE(offset.UncertaintyMs(), 600);
  // The local clock was stepped by an hour: the old bounds are dropped.
  offset.Observe(3'700'000, 3'700'000, 80'000 + 20'000);
  EXPECT_NEAR(offset.EstimateMs(), 100'000 - 3'700'000 + 500, 500);
  // Nonsense is ignored: no Date, or an answer received before it was sent.
  TimeMs before = offset.EstimateMs();
  offset.Observe(1, 2, 0);
  offset.Observe(5, 4, 1'000'000);
  EXPECT_EQ(offset.EstimateMs(), before);
}

TEST(StoreTimeClockTest, MovesTheLocalClockAndNoticesOnceEachChange) {
  FakeClock local(1'000'000);
  ServerTimeOffset offset;
  std::vector<std::string> notices;
  StoreTimeClock clock(local, &offset, [&](const std::string& m, TimeMs) { notices.push_back(m); });
  EXPECT_EQ(clock.NowMs(), 1'000'000) << "nothing learned yet: the local clock";
  offset.Observe(1'000'000, 1'000'000, 1'030'000);
  EXPECT_NEAR(clock.NowMs(), 1'030'500, 500);
  clock.NowMs();
  ASSERT_EQ(notices.size(), 1u) << "said once, not on every reading";
  EXPECT_NE(notices[0].find("+30."), std::string::npos) << notices[0];
  StoreTimeClock without_store(local, nullptr);
  EXPECT_EQ(without_store.NowMs(), 1'000'000);
}

}  // namespace
}  // namespace eb
