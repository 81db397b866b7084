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
  sorted_tags_.assign(spec.member_tags.begin(), spec.member_tags.end());
  std::sort(sorted_tags_.begin(), sorted_tags_.end());
  sorted_tags_.erase(std::unique(sorted_tags_.begin(), sorted_tags_.end()), sorted_tags_.end());
  shards_ = static_cast<int>((sorted_tags_.size() + shard_size - 1) / shard_size);
}

int64_t ShardPlan::MembersIn(int shard) const {
  int64_t first = static_cast<int64_t>(shard) * shard_size_;
  return std::clamp<int64_t>(static_cast<int64_t>(sorted_tags_.size()) - first, 0, shard_size_);
}

bool ShardPlan::IsMember(const std::string& tag) const {
  return std::binary_search(sorted_tags_.begin(), sorted_tags_.end(), tag);
}

int ShardPlan::ShardOf(const std::string& tag) const {
  if (!sharded()) return -1;
  if (!count_latch_) {
    auto it = std::lower_bound(sorted_tags_.begin(), sorted_tags_.end(), tag);
    if (it == sorted_tags_.end() || *it != tag) return 0;
    return static_cast<int>((it - sorted_tags_.begin()) / shard_size_);
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
    if (!count_latch_ && !IsMember(tag)) continue;
    if (seen.insert(tag).second) ++out[ShardOf(tag)];
  }
  return out;
}

bool ShardPlan::ShouldPublish(int shard, int64_t distinct) const {
  if (!sharded() || shard < 0 || shard >= shards_) return false;
  return count_latch_ ? distinct > 0 : distinct >= MembersIn(shard);
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
    if (it == best_per_shard.end() || it->second < MembersIn(shard)) return false;
  }
  return true;
}

}  // namespace eb
