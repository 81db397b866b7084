// The eventbarrier Lambda function (docs/LAMBDA.md): what it reads when the
// execution environment starts, and what it does with each invocation.
//
// Initialization (a failure is reported to /runtime/init/error):
//   configuration  $EVENTBARRIER_CONFIG, else $LAMBDA_TASK_ROOT/eventbarrier.json,
//                  else eventbarrier.json next to the binary (the zip holds it);
//   state          $EVENTBARRIER_STATE, else the configuration's state.url;
//                  an s3:// state needs AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
//                  (Lambda sets them from the function's role);
//   safety margin  $EVENTBARRIER_SAFETY_MARGIN_MS (default 1000): no record is
//                  started with less time than this before the deadline;
//   operators      $EVENTBARRIER_OPERATOR_PAYLOADS=true allows the operator
//                  payload (cli/lambda_operator.h); refused otherwise.
// Each invocation: ProcessInvocation (sources/invocation.h) on the payload.
// The response is {"batchItemFailures":[...]} for an SQS batch (partial batch
// response; unfinished messages are retried) and the summary otherwise; a
// failed non-SQS invocation is reported to /error so that Lambda retries it.
// Logs: JSON lines with the request id; one Embedded Metric Format line per
// invocation that counted something (Arrivals, Duplicates, Trips, Timeouts,
// TripLatency = first arrival to claim).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "aws/lambda_runtime.h"
#include "aws/s3_config.h"
#include "base/clock.h"
#include "base/log.h"
#include "core/action_runner.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/store.h"
#include "sources/invocation.h"

namespace eb::cli {

struct LambdaSettings {
  std::string config_path;
  std::string state;  // "" -> the configuration's state.url
  TimeMs safety_margin_ms = 1000;
  std::string function_name;  // metrics dimension
  std::string worker_id;      // claim records: the log stream (one per environment)
  bool operator_payloads = false;  // {"eventbarrier": {"op": ...}} allowed
};

// Reads the settings from `env`; `exe_dir` is the binary's folder.
// InvalidArgument for a malformed EVENTBARRIER_SAFETY_MARGIN_MS.
Result<LambdaSettings> ReadLambdaSettings(const EnvLookup& env, const std::string& exe_dir);

// Lambda-specific configuration rules on top of ParseConfig: `exec` actions
// run only locally. Every problem named; empty when fine.
std::vector<ConfigError> CheckLambdaConfig(const Config& config);

// The Lambda-Runtime-Function-Error-Type for a failed invocation:
// "EventBarrier.InvalidEvent", "EventBarrier.Unavailable" (store, deadline),
// "EventBarrier.PermissionDenied", "EventBarrier.Internal", ...
std::string LambdaErrorType(const Status& status);

// What initialization produced; owns the configuration and the store.
struct LambdaState {
  std::unique_ptr<ConfigParse> config;
  std::unique_ptr<ObjectStore> store;
};

// Loads and checks the configuration and opens the state store (no request
// is sent). The error's type says which: EventBarrier.ConfigNotFound,
// EventBarrier.ConfigInvalid, EventBarrier.StateInvalid, EventBarrier.CredentialsMissing.
// `env` supplies the AWS_* variables of an s3:// state.
Result<LambdaState> InitLambda(const LambdaSettings& settings, const EnvLookup& env,
                               aws::LambdaError* error);

class BarrierFunction {
 public:
  using LineSink = std::function<void(const std::string& line)>;
  // Everything must outlive the function; `metrics` receives EMF lines.
  BarrierFunction(const Config& config, ObjectStore& store, ActionRunner& actions, Clock& clock,
                  Logger& log, LineSink metrics, LambdaSettings settings);

  aws::LambdaOutcome Handle(const aws::LambdaInvocation& invocation);

 private:
  void EmitMetrics(const aws::LambdaInvocation& invocation, const InvocationResult& result);

  const Config& config_;
  ObjectStore& store_;
  ActionRunner& actions_;
  Clock& clock_;
  Logger& log_;
  LineSink metrics_;
  LambdaSettings settings_;
  Engine engine_;
};

// The process edge: real environment, the HTTP client, stdout. Runs the loop until
// the Runtime API goes away; returns the exit code.
int RunLambda(const char* argv0);

// True when the binary should run as the Lambda runtime without any
// subcommand: started as "bootstrap" without arguments, or with
// AWS_LAMBDA_RUNTIME_API set and no arguments.
bool LambdaModeRequested(const char* argv0, int argc, const EnvLookup& env);

}  // namespace eb::cli
