#include "core/keys.h"

#include <gtest/gtest.h>

namespace eb {
namespace {

TEST(KeysTest, RoundTripEveryKind) {
  KeyLayout layout(".eventbarrier/");
  const std::string id = "0123456789abcdef0123456789abcdef";
  std::vector<StateKey> keys = {
      StateKey::Arrival("b1", "2026-11-24", "abc123def456", id),
      StateKey::Arrival("b1", "2026-11-24", "abc123def456", id, -1,
                        "12,etag,,bucket,2026-11-24T06%3A00%3A00Z,k.csv"),
      StateKey::Tombstone("b1", "_", id),
      StateKey::Trip("b1", "_", 1),
      StateKey::Trip("b1", "_", 9999999999),
      StateKey::TripDone("b-2", "x%2Cy,z", 42),
      StateKey::TripAttempt("b", "_", 7, 3),
      StateKey::TripAttempt("b", "_", 7, 12345),  // past 9,999 re-drives the number just grows
      StateKey::TripStale("b", "_", 7),
      StateKey::TripFailed("b", "_", 7, 0),
      StateKey::TripFailed("b", "_", 7, 12),
      StateKey::Head("b", "_"),
      StateKey::Open("b", "2026-11-24"),
      StateKey::Format(),
      StateKey::Arrival("b", "_", "abc123def456", "0123456789abcdef", 7),
      StateKey::Arrival("b", "_", "abc123def456", "0123456789abcdef", 12345, "1,e,,b,,k"),
      StateKey::ShardHint("b", "_", 42, 3, 999),
      StateKey::LateRun("b", "2026-11-24", id),
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
  EXPECT_EQ(layout.Encode(StateKey::Trip("b", "_", 12)), ".eventbarrier/b/_/t/0000000012");
  EXPECT_EQ(layout.Encode(StateKey::TripDone("b", "_", 12)), ".eventbarrier/b/_/t/0000000012.done");
  EXPECT_EQ(layout.Encode(StateKey::TripStale("b", "_", 12)), ".eventbarrier/b/_/t/0000000012.stale");
  EXPECT_EQ(layout.Encode(StateKey::TripAttempt("b", "_", 12, 2)), ".eventbarrier/b/_/t/0000000012.attempt-0002");
  EXPECT_EQ(layout.Encode(StateKey::Open("b", "i")), ".eventbarrier/_open/b/i");
  EXPECT_EQ(layout.Encode(StateKey::Format()), ".eventbarrier/_format");
  EXPECT_EQ(layout.Encode(StateKey::LateRun("b", "i", "id")), ".eventbarrier/b/i/l/id");
  // Every tombstone under one prefix, so one lifecycle rule expires them all.
  EXPECT_EQ(layout.Encode(StateKey::Tombstone("b", "i", "id")), ".eventbarrier/_consumed/b/i/id");
  EXPECT_EQ(layout.TombstoneRoot(), ".eventbarrier/_consumed/");
  // Trip keys sort by generation, and a generation's record before its markers.
  EXPECT_LT(layout.Encode(StateKey::Trip("b", "_", 9)), layout.Encode(StateKey::Trip("b", "_", 10)));
  EXPECT_LT(layout.Encode(StateKey::TripAttempt("b", "_", 9, 1)), layout.Encode(StateKey::TripDone("b", "_", 9)));
}

TEST(KeysTest, ShardedLayout) {
  KeyLayout layout(".eventbarrier/");
  StateKey marker = StateKey::Arrival("b", "_", "tag", "id");
  EXPECT_EQ(layout.Encode(marker), ".eventbarrier/b/_/a/tag.id") << "unsharded: the layout of old";
  marker.shard = 3;
  EXPECT_EQ(layout.Encode(marker), ".eventbarrier/b/_/a/0003/tag.id");
  marker.details = "1,e,,b,,k";
  EXPECT_EQ(layout.Encode(marker), ".eventbarrier/b/_/a/0003/tag.id.1,e,,b,,k");
  EXPECT_EQ(layout.ArrivalShardPrefix("b", "_", 3), ".eventbarrier/b/_/a/0003/");
  EXPECT_EQ(layout.Encode(StateKey::ShardHint("b", "_", 5, 3, 1000)), ".eventbarrier/b/_/h/0000000005/0003.0000001000");
  EXPECT_EQ(layout.HintGenerationPrefix("b", "_", 5), ".eventbarrier/b/_/h/0000000005/");
  // Both layouts share the arrival prefix: one LIST of a/ sees every shard.
  EXPECT_EQ(layout.Encode(marker).rfind(layout.ArrivalPrefix("b", "_"), 0), 0u);

  StateKey parsed;
  ASSERT_TRUE(ParseArrivalName("0003/tag.id", &parsed));
  EXPECT_EQ(parsed.shard, 3);
  EXPECT_EQ(parsed.tag, "tag");
  EXPECT_EQ(parsed.id, "id");
  EXPECT_EQ(parsed.details, "");
  ASSERT_TRUE(ParseArrivalName("tag.id.a.b.c", &parsed));
  EXPECT_EQ(parsed.shard, -1);
  EXPECT_EQ(parsed.id, "id");
  EXPECT_EQ(parsed.details, "a.b.c") << "details may hold dots: only the first two split";
  for (std::string bad : {"x3/tag.id", "0003/tagid", "0003/.id", "0003/1/tag.id", "/tag.id", "tag.", "tag..x"}) {
    EXPECT_FALSE(ParseArrivalName(bad, &parsed)) << bad;
  }
}

TEST(KeysTest, RejectsForeignKeys) {
  KeyLayout layout(".eventbarrier/");
  for (std::string bad : {"data/file.csv", ".eventbarrier/b", ".eventbarrier/b/i/x/y",
                          ".eventbarrier/b/i/t/12", ".eventbarrier/b/i/t/0000000001.bogus",
                          ".eventbarrier/b/i/a/x1/t.id", ".eventbarrier/b/i/h/0000000001/3",
                          ".eventbarrier/b/i/h/x/0003.0000000001",
                          ".eventbarrier/b/i/a/noid", ".eventbarrier/b/i/t/0000000001.attempt-1",
                          ".eventbarrier/_consumed/b/i", ".eventbarrier/_consumed/b//id", ".eventbarrier/_x/i/head",
                          ".eventbarrier/_format/x", ".eventbarrier/b/i/w/0000000016.nonce"}) {
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
