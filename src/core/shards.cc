#include "core/shards.h"

#include <algorithm>
#include <set>

namespace eb {

ShardPlan::ShardPlan(const BarrierSpec& spec, int shard_size)
    : count_latch_(spec.is_count()), needed_(static_cast<int64_t>(spec.needed())), shard_size_(shard_size) {
  if (shard_size <= 0 || needed_ <= shard_size) return;
  if (count_latch_) {
    int64_t half = std::max(1, shard_size / 2);
    shards_ = static_cast<int>((needed_ + half - 1) / half);
    return;
  }
  std::vector<std::string> tags(spec.member_tags.begin(), spec.member_tags.end());
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  shards_ = static_cast<int>((tags.size() + shard_size - 1) / shard_size);
  members_in_.assign(shards_, 0);
  for (size_t rank = 0; rank < tags.size(); ++rank) {
    int shard = static_cast<int>(rank / shard_size);
    member_shard_[tags[rank]] = shard;
    ++members_in_[shard];
  }
}

int ShardPlan::ShardOf(const std::string& tag) const {
  if (!sharded()) return -1;
  if (!count_latch_) {
    auto it = member_shard_.find(tag);
    return it == member_shard_.end() ? 0 : it->second;
  }
  // Tags are hex digests already: their leading 48 bits are a uniform hash.
  uint64_t h = 0;
  for (size_t i = 0; i < tag.size() && i < 12; ++i) {
    char c = tag[i];
    h = h * 16 + static_cast<uint64_t>(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0') % 16;
  }
  return static_cast<int>(h % static_cast<uint64_t>(shards_));
}

std::map<int, int64_t> ShardPlan::DistinctPerShard(const std::vector<std::string>& tags) const {
  std::set<std::string> seen;
  std::map<int, int64_t> out;
  if (!sharded()) return out;
  for (const auto& tag : tags) {
    if (!count_latch_ && !member_shard_.count(tag)) continue;
    if (seen.insert(tag).second) ++out[ShardOf(tag)];
  }
  return out;
}

bool ShardPlan::ShouldPublish(int shard, int64_t distinct) const {
  if (!sharded() || shard < 0 || shard >= shards_) return false;
  return count_latch_ ? distinct > 0 : distinct >= members_in_[shard];
}

bool ShardPlan::LooksComplete(const std::map<int, int64_t>& best_per_shard) const {
  if (count_latch_) {
    int64_t sum = 0;
    for (const auto& [shard, count] : best_per_shard) {
      if (shard >= 0 && shard < shards_) sum += count;
    }
    return sum >= needed_;
  }
  for (int shard = 0; shard < shards_; ++shard) {
    auto it = best_per_shard.find(shard);
    if (it == best_per_shard.end() || it->second < members_in_[shard]) return false;
  }
  return true;
}

}  // namespace eb
