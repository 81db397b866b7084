// Whether an arrival whose key matched a barrier's member (or count prefix)
// is data for that barrier: its event creates an object (`events`), every
// variable the key binds is a usable value (`binding`: not empty, "." or "..",
// no control character, bounded length; core/pattern.h), its key is not a
// side file (`ignore`), and it is big enough (`min_size`); asked in that
// order, the first refusal is the reason. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/arrival.h"
#include "core/config.h"

namespace eb {

// One barrier that an arrival's key matched but that does not count it.
struct IgnoredArrival {
  std::string barrier;
  std::string rule;    // what kept it out: "events", "min_size", "binding" or the ignore glob
  std::string reason;  // a sentence for the log
};

// Why `arrival`, whose key `matched` (a member pattern or the count prefix of
// `spec`) matched, does not count for `spec`; nullopt if it counts.
std::optional<IgnoredArrival> FilterArrival(const BarrierSpec& spec, const Pattern& matched,
                                            const Arrival& arrival);

// FilterArrival as a predicate for the matcher: true if ignored, and then the
// reason is appended to `ignored` (when not null).
bool IsIgnored(const BarrierSpec& spec, const Pattern& matched, const Arrival& arrival,
               std::vector<IgnoredArrival>* ignored);

}  // namespace eb
