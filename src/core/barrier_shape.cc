#include "core/barrier_shape.h"

#include <set>

namespace eb {

BarrierShape::BarrierShape(const BarrierSpec& spec, int shard_size) : spec_(spec), plan_(spec, shard_size) {
  for (size_t i = 0; i < spec.member_tags.size(); ++i) member_index_.emplace(spec.member_tags[i], i);
}

std::string BarrierShape::MemberOf(const std::string& tag) const {
  if (spec_.is_count()) return spec_.prefix->text();
  auto it = member_index_.find(tag);
  return it == member_index_.end() ? "" : spec_.members[it->second].text();
}

bool BarrierShape::Covers(const std::vector<std::string>& tags) const {
  if (spec_.is_count()) {
    std::set<std::string> distinct(tags.begin(), tags.end());
    return distinct.size() >= static_cast<size_t>(spec_.count);
  }
  if (tags.size() < member_index_.size()) return false;
  std::vector<bool> seen(spec_.members.size(), false);
  size_t found = 0;
  for (const auto& tag : tags) {
    auto it = member_index_.find(tag);
    if (it != member_index_.end() && !seen[it->second]) {
      seen[it->second] = true;
      ++found;
    }
  }
  return found == member_index_.size();
}

std::vector<std::string> BarrierShape::Missing(const std::vector<std::string>& tags, const Bindings& bindings) const {
  std::set<std::string> present(tags.begin(), tags.end());
  std::vector<std::string> missing;
  if (spec_.is_count()) {
    if (present.size() < static_cast<size_t>(spec_.count)) {
      missing.push_back(std::to_string(spec_.count - present.size()) + " more key(s) under " +
                        spec_.prefix->Render(bindings));
    }
    return missing;
  }
  for (size_t i = 0; i < spec_.members.size(); ++i) {
    if (!present.count(spec_.member_tags[i])) missing.push_back(spec_.members[i].Render(bindings));
  }
  return missing;
}

}  // namespace eb
