// Sharding of wide barriers (docs/PROTOCOL.md, "Wide barriers"): which shard
// a member belongs to, and when shard hints say a full evaluation is worth it.
// Pure: no I/O, a function of the barrier's configuration and the shard size.
//
// A barrier is sharded when it needs more than `shard_size` members (or, for a
// count latch, distinct keys); narrower barriers keep the unsharded layout so
// state written before sharding existed stays readable.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"

namespace eb {

class ShardPlan {
 public:
  // `shard_size` <= 0 never shards.
  ShardPlan(const BarrierSpec& spec, int shard_size);

  bool sharded() const { return shards_ > 1; }
  int shards() const { return shards_; }

  // The shard a member tag (a key's tag in a count latch) belongs to; -1 when
  // unsharded. Named members: by rank of the tag among the barrier's sorted
  // member tags, so every shard holds at most `shard_size` members. Count
  // latches: by hash of the tag (keys are not known in advance), over twice as
  // many shards, so a shard's expected size stays within one LIST page.
  int ShardOf(const std::string& tag) const;

  // Distinct tags among `tags` per shard (only member tags for named
  // members; any tag in a count latch). Shards without a tag are absent.
  std::map<int, int64_t> DistinctPerShard(const std::vector<std::string>& tags) const;

  // Whether a shard with `distinct` members present publishes a hint. Named
  // members: only once the shard is complete (one hint per shard and
  // generation). Count latches: every count, since only the sum decides.
  bool ShouldPublish(int shard, int64_t distinct) const;

  // Whether the hints of one generation (highest count per shard) say the
  // barrier may be complete: every shard complete, or counts summing to `count`.
  bool LooksComplete(const std::map<int, int64_t>& best_per_shard) const;

 private:
  int64_t MembersIn(int shard) const;   // named members of `shard`
  bool IsMember(const std::string& tag) const;

  bool count_latch_ = false;
  int64_t needed_ = 0;
  int shard_size_ = 0;
  int shards_ = 1;
  // Named members: their tags, sorted and unique (a tag's rank is its index;
  // a sorted vector, not a map: a cold process builds this per barrier).
  std::vector<std::string> sorted_tags_;
};

}  // namespace eb
