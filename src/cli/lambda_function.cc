#include "cli/lambda_function.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "actions/local_actions.h"
#include "aws/emf.h"
#include "cli/common.h"
#include "cli/lambda_operator.h"
#include "http/http_client.h"

namespace eb::cli {

namespace {

constexpr const char* kConfigFile = "eventbarrier.json";
constexpr size_t kMaxConfigBytes = 16 << 20;

std::string EnvOr(const EnvLookup& env, const char* name, std::string fallback = "") {
  return NonEmptyEnv(env, name).value_or(std::move(fallback));
}

}  // namespace

Result<LambdaSettings> ReadLambdaSettings(const EnvLookup& env, const std::string& exe_dir) {
  LambdaSettings s;
  s.config_path = EnvOr(env, "EVENTBARRIER_CONFIG");
  if (s.config_path.empty()) {
    std::string root = EnvOr(env, "LAMBDA_TASK_ROOT", exe_dir.empty() ? "." : exe_dir);
    s.config_path = root + "/" + kConfigFile;
  }
  s.state = EnvOr(env, "EVENTBARRIER_STATE");
  if (std::string margin = EnvOr(env, "EVENTBARRIER_SAFETY_MARGIN_MS"); !margin.empty()) {
    auto [end, ec] =
        std::from_chars(margin.data(), margin.data() + margin.size(), s.safety_margin_ms);
    if (ec != std::errc() || end != margin.data() + margin.size() || s.safety_margin_ms < 0) {
      return Status::InvalidArgument("EVENTBARRIER_SAFETY_MARGIN_MS: '" + margin +
                                     "' is not a number of milliseconds");
    }
  }
  s.function_name = EnvOr(env, "AWS_LAMBDA_FUNCTION_NAME", "eventbarrier");
  s.worker_id = EnvOr(env, "AWS_LAMBDA_LOG_STREAM_NAME", WorkerId());
  std::string operators = EnvOr(env, "EVENTBARRIER_OPERATOR_PAYLOADS", "false");
  if (operators == "true" || operators == "1") {
    s.operator_payloads = true;
  } else if (operators != "false" && operators != "0") {
    return Status::InvalidArgument("EVENTBARRIER_OPERATOR_PAYLOADS: '" + operators + "' is not true or false");
  }
  return s;
}

std::vector<ConfigError> CheckLambdaConfig(const Config& config) {
  std::vector<ConfigError> errors;
  for (const BarrierSpec& b : config.barriers) {
    ForEachAction(b, [&](const std::string& where, const ActionSpec& a) {
      if (a.type == "exec") {
        errors.push_back(
            {b.name, where, "exec actions run only locally, not in the Lambda function"});
      }
    });
  }
  return errors;
}

std::string LambdaErrorType(const Status& status) {
  switch (status.code()) {
    case Code::kInvalidArgument:
      return "EventBarrier.InvalidEvent";
    case Code::kUnavailable:
    case Code::kConflict:
      return "EventBarrier.Unavailable";
    case Code::kPermissionDenied:
      return "EventBarrier.PermissionDenied";
    case Code::kNotFound:
      return "EventBarrier.NotFound";
    default:
      return "EventBarrier.Internal";
  }
}

Result<LambdaState> InitLambda(const LambdaSettings& settings, const EnvLookup& env,
                               aws::LambdaError* error) {
  auto fail = [&](const char* type, const Status& s) {
    *error = {type, s.message(), {}};
    return s;
  };
  LambdaState state;
  auto text = ReadInput(settings.config_path, kMaxConfigBytes);
  if (!text.ok()) {
    return fail("EventBarrier.ConfigNotFound",
                text.status().WithContext("configuration (EVENTBARRIER_CONFIG)"));
  }
  state.config = std::make_unique<ConfigParse>(ParseConfig(*text));
  for (auto& e : CheckLambdaConfig(state.config->config))
    state.config->errors.push_back(std::move(e));
  if (!state.config->ok()) {
    return fail("EventBarrier.ConfigInvalid",
                Status::InvalidArgument(settings.config_path + ": " + state.config->ErrorText()));
  }
  auto store = OpenStateStore(settings.state, state.config->config, env);
  if (!store.ok()) {
    return fail(store.status().code() == Code::kPermissionDenied ? "EventBarrier.CredentialsMissing"
                                                                 : "EventBarrier.StateInvalid",
                store.status());
  }
  state.store = std::move(*store);
  return state;
}

BarrierFunction::BarrierFunction(const Config& config, ObjectStore& store, ActionRunner& actions,
                                 Clock& clock, Logger& log, LineSink metrics,
                                 LambdaSettings settings)
    : config_(config),
      store_(store),
      actions_(actions),
      clock_(clock),
      log_(log),
      metrics_(std::move(metrics)),
      settings_(std::move(settings)),
      engine_(config, store, actions, clock, log, EngineOptions{.worker_id = settings_.worker_id}) {
}

aws::LambdaOutcome BarrierFunction::Handle(const aws::LambdaInvocation& invocation) {
  OperatorContext ops{config_, store_, actions_, clock_, log_, settings_.worker_id};
  if (auto answer = HandleOperatorPayload(invocation.payload, settings_.operator_payloads, ops)) return *answer;
  InvocationOptions options;
  options.clock = &clock_;
  options.deadline_ms = invocation.deadline_ms;
  options.safety_margin_ms = settings_.safety_margin_ms;
  InvocationResult result = ProcessInvocation(engine_, invocation.payload, options);
  Status overall = result.Overall();
  std::string records = std::to_string(result.records), arrivals = std::to_string(result.arrivals),
              duplicates = std::to_string(result.duplicates),
              ignored = std::to_string(result.ignored), trips = std::to_string(result.trips.size());
  for (const auto& r : result.ignored_examples) {
    log_.Info("record ignored: not data for this barrier", {{"key", r.key}, {"barrier", r.why.barrier},
                                                            {"rule", r.why.rule}, {"reason", r.why.reason}});
  }
  if (overall.ok()) {
    log_.Info("invocation", {{"records", records},
                             {"arrivals", arrivals},
                             {"duplicates", duplicates},
                             {"ignored", ignored},
                             {"late", std::to_string(result.late)},
                             {"ignored_by", IgnoredByText(result)},
                             {"trips", trips}});
  } else {
    log_.Error("invocation failed", {{"records", records},
                                     {"arrivals", arrivals},
                                     {"duplicates", duplicates},
                                     {"ignored", ignored},
                                     {"trips", trips},
                                     {"failedMessages", std::to_string(result.failures.size())},
                                     {"notStarted", std::to_string(result.not_started)},
                                     {"error", overall.ToString()}});
  }
  for (const auto& f : result.failures) {
    log_.Error("SQS message failed", {{"messageId", f.message_id}, {"error", f.error}});
  }
  EmitMetrics(invocation, result);
  if (result.error.ok() && result.is_sqs) {
    // Partial batch response: only the listed messages are retried.
    return aws::LambdaOutcome::Success(BatchItemFailuresJson(result));
  }
  if (!result.error.ok()) {
    return aws::LambdaOutcome::Failure(
        {LambdaErrorType(result.error), result.error.ToString(), {}});
  }
  return aws::LambdaOutcome::Success(
      InvocationSummary(result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void BarrierFunction::EmitMetrics(const aws::LambdaInvocation& invocation,
                                  const InvocationResult& result) {
  aws::EmfMetric arrivals{"Arrivals", "Count", {}}, duplicates{"Duplicates", "Count", {}},
      trips{"Trips", "Count", {}}, timeouts{"Timeouts", "Count", {}},
      late{"LateAfterTrip", "Count", {}}, latency{"TripLatency", "Milliseconds", {}},
      trip_failures{"TripFailures", "Count", {}};
  int n_trips = 0, n_timeouts = 0;
  for (const TripSummary& t : result.trips) {
    if (t.redriven) continue;  // finishing someone else's trip is not a new trip
    if (t.status == TripStatus::kTimeout) {
      ++n_timeouts;
    } else {
      ++n_trips;
      if (t.first_arrival_at > 0 && t.claimed_at >= t.first_arrival_at)
        latency.values.push_back(static_cast<double>(t.claimed_at - t.first_arrival_at));
    }
  }
  if (result.arrivals + result.duplicates + n_trips + n_timeouts + result.trip_failures == 0)
    return;  // nothing counted
  arrivals.values = {static_cast<double>(result.arrivals)};
  duplicates.values = {static_cast<double>(result.duplicates)};
  trips.values = {static_cast<double>(n_trips)};
  timeouts.values = {static_cast<double>(n_timeouts)};
  late.values = {static_cast<double>(result.late)};
  // Trips whose actions failed (unfinished, re-driven with backoff): alarmed.
  trip_failures.values = {static_cast<double>(result.trip_failures)};
  aws::EmfRecord record;
  record.name_space = "EventBarrier";
  record.dimensions = {{"FunctionName", settings_.function_name}};
  record.metrics = {arrivals, duplicates, trips, timeouts, late, latency, trip_failures};
  record.properties = {{"requestId", invocation.request_id}};
  record.timestamp = clock_.NowMs();
  metrics_(aws::EmfLine(record));
}

bool LambdaModeRequested(const char* argv0, int argc, const EnvLookup& env) {
  if (argc != 1) return false;
  std::string name = argv0 == nullptr ? "" : argv0;
  if (size_t slash = name.rfind('/'); slash != std::string::npos) name.erase(0, slash + 1);
  auto api = env("AWS_LAMBDA_RUNTIME_API");
  return name == "bootstrap" || (api && !api->empty());
}

namespace {

// The folder of the running binary (/proc/self/exe, else argv[0]'s).
std::string ExeDir(const char* argv0) {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string path = n > 0 ? std::string(buf, static_cast<size_t>(n)) : (argv0 ? argv0 : "");
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

void WriteLine(const std::string& line) {
  std::string out = line + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

// The bundled OpenSSL looks for Debian's CA locations; Amazon Linux keeps its
// trust store elsewhere. Unless SSL_CERT_FILE is set, it names the first CA
// file found, and every HTTP client takes it from `env` (aws::HttpOptionsFromEnv):
// the process environment itself is not changed.
EnvLookup WithCaFile(EnvLookup env) {
  std::optional<std::string> found;
  if (auto set = env("SSL_CERT_FILE"); !set || set->empty()) {
    for (const char* ca :
         {"/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt"}) {
      if (::access(ca, R_OK) == 0) {
        found = ca;
        break;
      }
    }
  }
  if (!found) return env;
  return [env = std::move(env), found](const std::string& name) {
    return name == "SSL_CERT_FILE" ? found : env(name);
  };
}

}  // namespace

int RunLambda(const char* argv0) {
  EnvLookup env = WithCaFile(ProcessEnv());
  SystemClock clock;
  Logger log(stdout, Logger::Format::kJson, &clock);
  auto api = env("AWS_LAMBDA_RUNTIME_API");
  if (!api || api->empty()) {
    log.Error(
        "AWS_LAMBDA_RUNTIME_API is not set: the Lambda runtime runs inside Lambda "
        "(or next to a Runtime API emulator); for local use see 'eventbarrier handle'");
    return kExitFailure;
  }
  auto http = http::NewClient();
  aws::LambdaRuntimeClient runtime(*http, *api);

  aws::LambdaError init_error;
  auto settings = ReadLambdaSettings(env, ExeDir(argv0));
  Result<LambdaState> state = Status::Internal("not initialized");
  if (settings.ok()) {
    state = InitLambda(*settings, env, &init_error);
  } else {
    init_error = {"EventBarrier.ConfigInvalid", settings.status().message(), {}};
    state = settings.status();
  }
  if (!state.ok()) {
    log.Error("initialization failed",
              {{"errorType", init_error.type}, {"error", init_error.message}});
    Status posted = runtime.ReportInitError(init_error);
    if (!posted.ok()) log.Error("reporting the init error failed", {{"error", posted.ToString()}});
    return kExitFailure;
  }
  log.Info("initialized", {{"config", settings->config_path},
                           {"barriers", std::to_string(state->config->config.barriers.size())},
                           {"state", state->store->Describe()}});

  ProcessActions actions(*state->store, log, state->config->config.state.prefix, env);
  BarrierFunction function(state->config->config, *state->store, actions.runner(), clock, log, WriteLine,
                           *settings);
  aws::LambdaLoopOptions options;
  options.set_trace_id = [](const std::string& trace_id) {
    if (trace_id.empty()) {
      ::unsetenv("_X_AMZN_TRACE_ID");
    } else {
      ::setenv("_X_AMZN_TRACE_ID", trace_id.c_str(), 1);
    }
  };
  Status ended = aws::RunLambdaLoop(
      runtime, [&](const aws::LambdaInvocation& inv) { return function.Handle(inv); }, options,
      log);
  log.Error("runtime API loop ended", {{"error", ended.ToString()}});
  return kExitFailure;
}

}  // namespace eb::cli
