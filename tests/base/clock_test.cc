#include "base/clock.h"

#include <gtest/gtest.h>

namespace eb {
namespace {

TEST(ClockTest, FormatAndParseRoundTrip) {
  TimeMs t = 1'764'000'000'123;
  std::string s = FormatIso8601(t);
  EXPECT_EQ(s, "2025-11-24T16:00:00.123Z");
  TimeMs back = 0;
  ASSERT_TRUE(ParseIso8601(s, &back));
  EXPECT_EQ(back, t);
}

TEST(ClockTest, ParsesS3AndCephTimes) {
  TimeMs t = 0;
  ASSERT_TRUE(ParseIso8601("1970-01-01T00:00:00.000Z", &t));
  EXPECT_EQ(t, 0);
  ASSERT_TRUE(ParseIso8601("2026-11-24T21:40:16.065450Z", &t));  // Ceph: microseconds
  EXPECT_EQ(t % 1000, 65);
  ASSERT_TRUE(ParseIso8601("2026-11-24T21:40:16Z", &t));
  EXPECT_FALSE(ParseIso8601("2026-11-24 21:40:16Z", &t));
  EXPECT_FALSE(ParseIso8601("2026-13-24T21:40:16Z", &t));
  EXPECT_FALSE(ParseIso8601("2026-11-24T21:40:16.Z", &t));
  EXPECT_FALSE(ParseIso8601("", &t));
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock c(1000);
  EXPECT_EQ(c.NowMs(), 1000);
  c.Advance(500);
  EXPECT_EQ(c.NowMs(), 1500);
}

}  // namespace
}  // namespace eb
