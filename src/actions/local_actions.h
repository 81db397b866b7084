// Actions that run on one machine: `manifest` (written to a store) and
// `exec` (a command, argv only, never through a shell, manifest on stdin).
// Other action types are refused with a message saying where they run.
#pragma once

#include <string>

#include "base/log.h"
#include "core/action_runner.h"
#include "core/store.h"

namespace eb {

struct ExecResult {
  int exit_code = -1;   // -1 if it did not exit normally
  std::string stderr_tail;  // last few KB of stderr
};

// Runs argv with `stdin_data` on its standard input; kills it after `timeout_ms`.
Result<ExecResult> RunCommand(const std::vector<std::string>& argv, const std::string& stdin_data,
                              TimeMs timeout_ms, const std::string& cwd = "");

// Replaces {name} in `text` from the trip's vars and from barrier, instance,
// generation, status and idempotency_key.
std::string SubstituteTripVars(const std::string& text, const TripRecord& trip);

class LocalActionRunner : public ActionRunner {
 public:
  // Manifests are written to `manifest_store` (not owned).
  LocalActionRunner(ObjectStore& manifest_store, Logger& log) : manifest_store_(manifest_store), log_(log) {}
  Status Run(const ActionSpec& action, const TripRecord& trip) override;

 private:
  ObjectStore& manifest_store_;
  Logger& log_;
};

}  // namespace eb
