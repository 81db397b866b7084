// `eventbarrier rerun`: runs a finished trip's actions again, with the same
// record and so the same idempotency key and manifest (downstream
// deduplicates), and records the rerun beside the trip at
// `t/<gen>.rerun-<n>` (PUT-if-absent): who, when, why, what each action
// reported. The trip's record, verdict and `.done` are never touched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "core/action_runner.h"
#include "core/config.h"
#include "core/store.h"
#include "core/trip.h"

namespace eb {

struct RerunRecord {
  int number = 0;  // n of t/<gen>.rerun-<n>
  std::string by;
  std::string reason;
  TimeMs at = 0;
  std::optional<size_t> only_action;  // --action N: index into the list the trip ran
  bool ok = true;
  std::string error;  // the first action that failed, when !ok
  struct Action {
    size_t index = 0;
    std::string type;
    std::vector<std::pair<std::string, std::string>> report;
  };
  std::vector<Action> actions;  // those that ran, in order
  // The key the actions ran with: the trip's, epoch included (not stored:
  // it follows from the trip's keys).
  std::string idempotency_key;
};

std::string SerializeRerun(const RerunRecord& rerun);
Result<RerunRecord> ParseRerun(const std::string& json_text);

struct RerunRequest {
  std::string barrier;
  std::string instance;  // "_" for a barrier without variables
  int64_t generation = 0;
  std::optional<size_t>
      action;  // only this one (index in on_complete, or on_timeout for a timeout trip)
  std::string by;
  std::string reason;
};

// What a rerun needs: the trip's record less its stale duplicates (the
// record its actions ran with) and the list of actions it ran. Fails with a
// message naming what is wrong: unknown barrier or instance (NotFound /
// InvalidArgument), a generation never claimed (NotFound), one not finished
// yet or void (FailedPrecondition), an action index out of range (InvalidArgument).
struct RerunPlan {
  TripRecord consumed;
  std::vector<ActionSpec> actions;
  std::vector<size_t> indexes;  // which of the trip's actions run
};
Result<RerunPlan> PlanRerun(ObjectStore& store, const Config& config, const RerunRequest& request);

// Plans, runs the actions in order (stopping at the first failure), and
// writes the rerun record whatever the actions did. The record is returned;
// its `ok` says whether every action succeeded.
Result<RerunRecord> Rerun(ObjectStore& store, const Config& config, ActionRunner& actions,
                          Clock& clock, Logger& log, const RerunRequest& request);

}  // namespace eb
