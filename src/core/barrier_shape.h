// What the protocol derives from one barrier's configuration, once per engine
// (a 10,000-member barrier would otherwise rebuild sets on every arrival):
// its sharding, which member each tag stands for, and when a set of tags
// completes a generation. Pure.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/pattern.h"
#include "core/shards.h"

namespace eb {

class BarrierShape {
 public:
  BarrierShape(const BarrierSpec& spec, int shard_size);

  const BarrierSpec& spec() const { return spec_; }
  const ShardPlan& plan() const { return plan_; }

  // The member pattern text a marker tag stands for (the count prefix's text
  // in a count latch, whatever the tag).
  std::string MemberOf(const std::string& tag) const;

  // True if `tags` (with repeats) cover every member, or hold `count`
  // distinct keys in a count latch.
  bool Covers(const std::vector<std::string>& tags) const;
  // The members (rendered with `bindings`) that `tags` leave missing; for a
  // count latch one line "N more key(s) under PREFIX".
  std::vector<std::string> Missing(const std::vector<std::string>& tags, const Bindings& bindings) const;

 private:
  const BarrierSpec& spec_;
  ShardPlan plan_;
  std::map<std::string, size_t> member_index_;  // tag -> index into spec.members
};

}  // namespace eb
