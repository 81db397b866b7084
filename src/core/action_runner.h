// How a trip's actions are run. The engine calls Run for each action of
// on_complete (or on_timeout) in order; implementations live in src/actions
// (manifest, exec, webhook, ...) and tests/fakes (recording, failing).
#pragma once

#include "base/status.h"
#include "core/config.h"
#include "core/trip.h"

namespace eb {

class ActionRunner {
 public:
  virtual ~ActionRunner() = default;
  // Runs one action for `trip`. Must be safe to repeat: actions run at least
  // once, and `trip.IdempotencyKey()` tells a receiver it has seen this one.
  // A non-ok status means the trip is not done; it is re-driven later.
  virtual Status Run(const ActionSpec& action, const TripRecord& trip) = 0;
};

// Runs nothing, succeeds (for `validate`-style dry runs and benchmarks).
class NoActions : public ActionRunner {
 public:
  Status Run(const ActionSpec&, const TripRecord&) override { return Status::Ok(); }
};

}  // namespace eb
