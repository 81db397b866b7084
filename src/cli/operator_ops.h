// What an operator does to barriers (issue 16), shared by the CLI commands
// (`trip --force`, `rerun`, `history`, `status`) and the Lambda function's
// operator payload: each takes its arguments, works on the state store, and
// answers one JSON document, or fails with a message naming what is wrong.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "core/action_runner.h"
#include "core/config.h"
#include "core/history.h"
#include "core/status_report.h"
#include "core/store.h"

namespace eb::cli {

using ordered_json = nlohmann::ordered_json;

// Where the operations run: everything must outlive the call.
struct OperatorContext {
  const Config& config;
  ObjectStore& store;
  ActionRunner& actions;
  Clock& clock;
  Logger& log;
  std::string worker_id;  // claim records
};

// "$USER@hostname" (or "$LOGNAME", else "operator"): `--by`'s default.
std::string DefaultOperator();

// The instance an operator names: `instance` as `status` shows it, or, when
// empty, "_" for a barrier without variables. InvalidArgument (naming the
// variables and the open instances) when the barrier has variables and none is given.
Result<std::string> ResolveInstance(ObjectStore& store, const Config& config,
                                    const std::string& barrier, const std::string& instance);

struct ForceArgs {
  std::string barrier;
  std::string instance;  // may be empty: ResolveInstance
  std::string reason;
  std::string by;
  bool dry_run = false;
};
// {"forced":true,...} when this call claimed the generation (or, dry run,
// would). FailedPrecondition when there is nothing to force, or when a
// racing claimant took the open generation first (the message says which).
Result<ordered_json> ForceTrip(OperatorContext& ctx, const ForceArgs& args);

struct RerunArgs {
  std::string barrier;
  std::string instance;
  int64_t generation = 0;
  std::optional<size_t> action;
  std::string by;
  std::string reason;
};
// The rerun's record as JSON. Unavailable (with the record written) when an action failed.
Result<ordered_json> RerunTrip(OperatorContext& ctx, const RerunArgs& args);

struct HistoryArgs {
  std::string barrier;
  std::string instance;  // empty: every indexed instance of the barrier
  size_t last = 20;
};
Result<ordered_json> History(ObjectStore& store, const Config& config, const HistoryArgs& args);
ordered_json HistoryJson(const GenerationHistory& h);

// `status --json` and the status page's data: every instance, plus its last
// `trips` generations (for the latency chart) when trips > 0.
struct StatusArgs {
  bool all = false;
  size_t trips = 0;
};
Result<ordered_json> StatusJson(ObjectStore& store, const Config& config, const StatusArgs& args,
                                TimeMs now);
ordered_json InstanceJson(const InstanceStatus& s);

// A dump that never throws on invalid UTF-8.
std::string Dump(const ordered_json& j, int indent = -1);

}  // namespace eb::cli
