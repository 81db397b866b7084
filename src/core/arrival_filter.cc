#include "core/arrival_filter.h"

namespace eb {

std::optional<IgnoredArrival> FilterArrival(const BarrierSpec& spec, const Pattern& matched,
                                            const Arrival& arrival) {
  bool event_ok = false;
  for (const auto& pattern : spec.events) event_ok = event_ok || EventNameMatches(pattern, arrival.event_name);
  if (!event_ok) {
    return IgnoredArrival{spec.name, "events",
                          "event " + arrival.event_name + " does not create an object's data (events: " +
                              JoinEventNames(spec.events) + ")"};
  }
  // Before the ignore rules, which are configurable: a key that cannot bind
  // is refused whatever they say (the defaults' ".*" would also catch "..").
  if (auto bindings = matched.Match(arrival.key)) {
    for (const auto& [name, value] : *bindings) {
      std::string problem = BindingValueProblem(value);
      if (problem.empty()) continue;
      return IgnoredArrival{spec.name, "binding",
                            "{" + name + "} cannot be bound to this key's segment: " + problem};
    }
  }
  if (auto glob = spec.ignore.Ignores(arrival.key, matched)) {
    std::string why = DescribeIgnoreGlob(*glob);
    return IgnoredArrival{spec.name, *glob,
                          "key matches ignore rule '" + *glob + "'" + (why.empty() ? "" : " (" + why + ")")};
  }
  if (arrival.size < spec.min_size) {
    return IgnoredArrival{spec.name, "min_size",
                          "size " + std::to_string(arrival.size) + " is below min_size " +
                              std::to_string(spec.min_size)};
  }
  return std::nullopt;
}

bool IsIgnored(const BarrierSpec& spec, const Pattern& matched, const Arrival& arrival,
               std::vector<IgnoredArrival>* ignored) {
  auto why = FilterArrival(spec, matched, arrival);
  if (!why) return false;
  if (ignored != nullptr) ignored->push_back(std::move(*why));
  return true;
}

}  // namespace eb
