// Actions that run on one machine: `manifest` (written to a store), `exec` (a
// command, argv only, never through a shell, manifest on stdin; a non-zero
// exit fails the action) and `webhook` (see actions/webhook_action.h).
// Other action types are refused with a message saying where they run.
//
// Each reports what happened for the trip's .done record: the manifest's key,
// the command's exit code and stderr tail, the webhook's HTTP status.
#pragma once

#include <functional>
#include <string>

#include "actions/webhook_action.h"
#include "base/log.h"
#include "core/action_runner.h"
#include "core/store.h"

namespace eb {

struct ExecResult {
  int exit_code = -1;   // -1 if it did not exit normally
  std::string stderr_tail;  // last few KB of stderr
};

// Runs argv with `stdin_data` on its standard input; kills it after `timeout_ms`.
// The child starts with every signal unblocked and SIGPIPE/SIGIO at their
// defaults, whatever this process did with them.
Result<ExecResult> RunCommand(const std::vector<std::string>& argv, const std::string& stdin_data,
                              TimeMs timeout_ms, const std::string& cwd = "");

// Replaces {name} in `text` from the trip's vars and from barrier, instance,
// generation, status and idempotency_key, each value passed through `encode`
// when given; an unknown {name} stays as written. The vars come from object
// keys and are untrusted (core/pattern.h BindingValueProblem bounds them).
std::string SubstituteTripVars(const std::string& text, const TripRecord& trip,
                               const std::function<std::string(const std::string&)>& encode = {});

// OK if every action of every barrier can run locally (and webhook URLs and
// secrets are usable); otherwise one line per problem, naming barrier and field.
Status CheckLocalActions(const Config& config, const EnvLookup& env);

class LocalActionRunner : public ReportingActionRunner {
 public:
  // Manifests are written to `manifest_store`; webhooks go through `http`
  // (may be null: webhook actions then fail); `env` finds webhook secrets.
  // None is owned.
  LocalActionRunner(ObjectStore& manifest_store, Logger& log, http::Client* http = nullptr, EnvLookup env = {})
      : manifest_store_(manifest_store), log_(log), http_(http), env_(std::move(env)) {}
  Status RunReporting(const ActionSpec& action, const TripRecord& trip, ActionReport* report) override;

 private:
  Status RunExec(const ActionSpec& action, const TripRecord& trip, ActionReport* report);

  ObjectStore& manifest_store_;
  Logger& log_;
  http::Client* http_;
  EnvLookup env_;
};

}  // namespace eb
