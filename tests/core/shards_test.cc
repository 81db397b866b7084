#include "core/shards.h"

#include <gtest/gtest.h>

#include "core/keys.h"

namespace eb {
namespace {

BarrierSpec Members(int n) {
  std::string json = R"({"b": [)";
  for (int i = 0; i < n; ++i) json += (i ? ",\"m" : "\"m") + std::to_string(i) + "/x\"";
  ConfigParse parsed = ParseConfig(json + "]}");
  EXPECT_TRUE(parsed.ok()) << parsed.ErrorText();
  return parsed.config.barriers.at(0);
}

BarrierSpec Count(int n) {
  ConfigParse parsed =
      ParseConfig(R"({"barriers": {"c": {"count": )" + std::to_string(n) + R"(, "prefix": "in"}}})");
  EXPECT_TRUE(parsed.ok()) << parsed.ErrorText();
  return parsed.config.barriers.at(0);
}

TEST(ShardPlanTest, NarrowBarriersKeepTheUnshardedLayout) {
  ShardPlan plan(Members(1000), 1000);
  EXPECT_FALSE(plan.sharded());
  EXPECT_EQ(plan.ShardOf(MemberTag("m0/x")), -1);
  EXPECT_FALSE(ShardPlan(Members(5), 0).sharded());
  EXPECT_FALSE(ShardPlan(Count(1000), 1000).sharded());
}

TEST(ShardPlanTest, NamedMembersFillShardsOfAtMostShardSize) {
  BarrierSpec spec = Members(10'001);
  ShardPlan plan(spec, 1000);
  ASSERT_TRUE(plan.sharded());
  EXPECT_EQ(plan.shards(), 11);
  std::vector<int> sizes(plan.shards(), 0);
  for (const auto& tag : spec.member_tags) {
    int shard = plan.ShardOf(tag);
    ASSERT_GE(shard, 0);
    ASSERT_LT(shard, plan.shards());
    ++sizes[shard];
  }
  for (int s = 0; s < 10; ++s) EXPECT_EQ(sizes[s], 1000) << "shard " << s;
  EXPECT_EQ(sizes[10], 1);
  // Stable: a second plan of the same configuration agrees member by member.
  ShardPlan again(spec, 1000);
  for (const auto& tag : spec.member_tags) EXPECT_EQ(again.ShardOf(tag), plan.ShardOf(tag));
}

TEST(ShardPlanTest, NamedMembersPublishOnlyCompleteShards) {
  BarrierSpec spec = Members(5);
  ShardPlan plan(spec, 2);
  ASSERT_EQ(plan.shards(), 3);
  auto counts = plan.DistinctPerShard(spec.member_tags);
  std::map<int, int64_t> best;
  for (const auto& [shard, n] : counts) {
    EXPECT_TRUE(plan.ShouldPublish(shard, n));
    EXPECT_FALSE(plan.ShouldPublish(shard, n - 1));
    best[shard] = n;
  }
  EXPECT_TRUE(plan.LooksComplete(best));
  best.erase(best.begin());
  EXPECT_FALSE(plan.LooksComplete(best));
  // A tag that is no member of the barrier counts nowhere; repeats count once.
  std::vector<std::string> tags = {spec.member_tags[0], spec.member_tags[0], MemberTag("stranger")};
  auto one = plan.DistinctPerShard(tags);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.begin()->second, 1);
}

TEST(ShardPlanTest, CountLatchesSumTheirShards) {
  BarrierSpec spec = Count(10'000);
  ShardPlan plan(spec, 1000);
  ASSERT_EQ(plan.shards(), 20);  // keys hash unevenly: shards half full on average
  std::vector<std::string> tags;
  for (int k = 0; k < 10'000; ++k) tags.push_back(MemberTag("in/key-" + std::to_string(k)));
  auto counts = plan.DistinctPerShard(tags);
  ASSERT_EQ(counts.size(), 20u);
  int64_t sum = 0;
  for (const auto& [shard, n] : counts) {
    EXPECT_LT(n, 1000) << "shard " << shard << " would need a second LIST page";
    EXPECT_TRUE(plan.ShouldPublish(shard, n));
    sum += n;
  }
  EXPECT_EQ(sum, 10'000);
  EXPECT_TRUE(plan.LooksComplete(counts));
  counts.begin()->second -= 1;
  EXPECT_FALSE(plan.LooksComplete(counts));
  EXPECT_FALSE(plan.ShouldPublish(0, 0));
  EXPECT_FALSE(plan.ShouldPublish(20, 5));  // no such shard
}

}  // namespace
}  // namespace eb
