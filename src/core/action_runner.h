// How a trip's actions are run. The engine calls RunReporting for each action
// of on_complete (or on_timeout) in order; implementations live in src/actions
// (manifest, exec, webhook, ...) and tests/fakes (recording, failing).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "core/config.h"
#include "core/trip.h"

namespace eb {

// What an action that succeeded tells the trip's `.done` record: a few small
// facts such as an exit code, the tail of stderr or an HTTP status. The engine
// stores them verbatim; keep them to a few KB.
struct ActionReport {
  std::vector<std::pair<std::string, std::string>> fields;
  void Add(std::string key, std::string value) { fields.emplace_back(std::move(key), std::move(value)); }
};

class ActionRunner {
 public:
  virtual ~ActionRunner() = default;
  // Runs one action for `trip`. Must be safe to repeat: actions run at least
  // once, and `trip.IdempotencyKey()` tells a receiver it has seen this one.
  // A non-ok status means the trip is not done; it is re-driven later.
  virtual Status Run(const ActionSpec& action, const TripRecord& trip) = 0;

  // Run, and describe what happened in `report` (not null) for the `.done`
  // record. The default has nothing to add.
  virtual Status RunReporting(const ActionSpec& action, const TripRecord& trip, ActionReport* report) {
    (void)report;
    return Run(action, trip);
  }
};

// A runner whose actions always have something to report: it implements
// RunReporting only, and Run is RunReporting with the report dropped.
class ReportingActionRunner : public ActionRunner {
 public:
  Status Run(const ActionSpec& action, const TripRecord& trip) final {
    ActionReport dropped;
    return RunReporting(action, trip, &dropped);
  }
  Status RunReporting(const ActionSpec& action, const TripRecord& trip, ActionReport* report) override = 0;
};

// Runs nothing, succeeds (for `validate`-style dry runs and benchmarks).
class NoActions : public ActionRunner {
 public:
  Status Run(const ActionSpec&, const TripRecord&) override { return Status::Ok(); }
};

}  // namespace eb
