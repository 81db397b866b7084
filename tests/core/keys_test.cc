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
      {StateKeyKind::kArrival, "b", "_", "abc123def456", "0123456789abcdef", 0, 0, /*shard=*/7},
      {StateKeyKind::kArrival, "b", "_", "abc123def456", "0123456789abcdef", 0, 0, /*shard=*/12345},
      {StateKeyKind::kShardHint, "b", "_", "", "", 42, 0, /*shard=*/3, /*count=*/999},
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

TEST(KeysTest, ShardedLayout) {
  KeyLayout layout(".eventbarrier/");
  StateKey marker{StateKeyKind::kArrival, "b", "_", "tag", "id"};
  EXPECT_EQ(layout.Encode(marker), ".eventbarrier/b/_/a/tag.id") << "unsharded: the layout of old";
  marker.shard = 3;
  EXPECT_EQ(layout.Encode(marker), ".eventbarrier/b/_/a/0003/tag.id");
  EXPECT_EQ(layout.ArrivalShardPrefix("b", "_", 3), ".eventbarrier/b/_/a/0003/");
  StateKey hint{StateKeyKind::kShardHint, "b", "_", "", "", 5};
  hint.shard = 3;
  hint.count = 1000;
  EXPECT_EQ(layout.Encode(hint), ".eventbarrier/b/_/h/0000000005/0003.0000001000");
  EXPECT_EQ(layout.HintGenerationPrefix("b", "_", 5), ".eventbarrier/b/_/h/0000000005/");
  // Both layouts share the arrival prefix: one LIST of a/ sees every shard.
  EXPECT_EQ(layout.Encode(marker).rfind(layout.ArrivalPrefix("b", "_"), 0), 0u);

  StateKey parsed;
  ASSERT_TRUE(ParseArrivalName("0003/tag.id", &parsed));
  EXPECT_EQ(parsed.shard, 3);
  EXPECT_EQ(parsed.tag, "tag");
  EXPECT_EQ(parsed.id, "id");
  ASSERT_TRUE(ParseArrivalName("tag.id", &parsed));
  EXPECT_EQ(parsed.shard, -1);
  for (std::string bad : {"x3/tag.id", "0003/tagid", "0003/.id", "0003/1/tag.id", "/tag.id", "tag."}) {
    EXPECT_FALSE(ParseArrivalName(bad, &parsed)) << bad;
  }
}

TEST(KeysTest, RejectsForeignKeys) {
  KeyLayout layout(".eventbarrier/");
  for (std::string bad : {"data/file.csv", ".eventbarrier/b", ".eventbarrier/b/i/x/y",
                          ".eventbarrier/b/i/t/12", ".eventbarrier/b/i/t/0000000001.bogus",
                          ".eventbarrier/b/i/a/x1/t.id", ".eventbarrier/b/i/h/0000000001/3",
                          ".eventbarrier/b/i/h/x/0003.0000000001",
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
