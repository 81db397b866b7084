#include "core/keys.h"

#include <gtest/gtest.h>

namespace eb {
namespace {

TEST(KeysTest, RoundTripEveryKind) {
  KeyLayout layout(".eventbarrier/");
  std::vector<StateKey> keys = {
      {StateKeyKind::kArrival, "b1", "2026-11-24", "abc123def456", "0123456789abcdef0123456789abcdef"},
      {StateKeyKind::kConsumed, "b1", "_", "", "0123456789abcdef0123456789abcdef"},
      {StateKeyKind::kTrip, "b1", "_", "", "", 1},
      {StateKeyKind::kTrip, "b1", "_", "", "", 9999999999},
      {StateKeyKind::kTripDone, "b-2", "x%2Cy,z", "", "", 42},
      {StateKeyKind::kTripAttempt, "b", "_", "", "", 7, 3},
      {StateKeyKind::kWindow, "b", "_", "", "w1-17-3", 128},
      {StateKeyKind::kHead, "b", "_"},
      {StateKeyKind::kOpen, "b", "2026-11-24"},
  };
  for (const StateKey& k : keys) {
    std::string encoded = layout.Encode(k);
    EXPECT_TRUE(layout.IsStateKey(encoded)) << encoded;
    auto decoded = layout.Decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, k) << encoded;
  }
}

TEST(KeysTest, Layout) {
  KeyLayout layout(".eventbarrier");  // a missing trailing slash is added
  EXPECT_EQ(layout.Encode({StateKeyKind::kTrip, "b", "_", "", "", 12}), ".eventbarrier/b/_/t/0000000012");
  EXPECT_EQ(layout.Encode({StateKeyKind::kTripDone, "b", "_", "", "", 12}), ".eventbarrier/b/_/t/0000000012.done");
  EXPECT_EQ(layout.Encode({StateKeyKind::kTripAttempt, "b", "_", "", "", 12, 2}),
            ".eventbarrier/b/_/t/0000000012.attempt-0002");
  EXPECT_EQ(layout.Encode({StateKeyKind::kOpen, "b", "i"}), ".eventbarrier/_open/b/i");
  // Trip keys sort by generation, and a generation's record before its markers.
  EXPECT_LT(layout.Encode({StateKeyKind::kTrip, "b", "_", "", "", 9}),
            layout.Encode({StateKeyKind::kTrip, "b", "_", "", "", 10}));
  EXPECT_LT(layout.Encode({StateKeyKind::kTripAttempt, "b", "_", "", "", 9, 1}),
            layout.Encode({StateKeyKind::kTripDone, "b", "_", "", "", 9}));
}

TEST(KeysTest, RejectsForeignKeys) {
  KeyLayout layout(".eventbarrier/");
  for (std::string bad : {"data/file.csv", ".eventbarrier/b", ".eventbarrier/b/i/x/y",
                          ".eventbarrier/b/i/t/12", ".eventbarrier/b/i/t/0000000001.bogus",
                          ".eventbarrier/b/i/a/noid", ".eventbarrier/b/i/t/0000000001.attempt-1"}) {
    EXPECT_FALSE(layout.Decode(bad)) << bad;
  }
  EXPECT_FALSE(layout.IsStateKey(".eventbarrierX/b"));
}

TEST(KeysTest, InstanceNamesRoundTrip) {
  std::vector<std::string> vars = {"date", "region"};
  for (Bindings b : {Bindings{{"date", "2026-11-24"}, {"region", "east"}},
                     Bindings{{"date", "a,b"}, {"region", "c/d%e"}},
                     Bindings{{"date", ".."}, {"region", "ü 😀"}}}) {
    std::string name = InstanceName(b);
    EXPECT_EQ(name.find('/'), std::string::npos) << name;
    EXPECT_NE(name.substr(0, 2), "..") << name;
    auto back = ParseInstanceName(name, vars);
    ASSERT_TRUE(back) << name;
    EXPECT_EQ(*back, b);
  }
  EXPECT_EQ(InstanceName({}), "_");
  EXPECT_TRUE(ParseInstanceName("_", {}));
  EXPECT_FALSE(ParseInstanceName("a,b,c", vars));
  EXPECT_FALSE(ParseInstanceName("a%zz,b", vars));
}

}  // namespace
}  // namespace eb
