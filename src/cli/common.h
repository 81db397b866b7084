// What every subcommand shares: exit codes, loading the configuration,
// opening the state store, the logger.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "actions/local_actions.h"
#include "aws/s3_config.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/store.h"
#include "http/http_client.h"

namespace eb::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,  // invalid configuration, failed invocation
  kExitUsage = 2,    // bad command line (CLI11 uses this too)
};

// Reads and parses a configuration file; on failure prints every problem to
// stderr (prefixed with the path) and returns nullptr.
std::unique_ptr<ConfigParse> LoadConfig(const std::string& path);

// Opens the state store named by `state`: "file:///path", "/path", "relative/path", or
// "s3://bucket/prefix[?endpoint=URL&region=R&path_style=true|false]" (credentials from
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, region from AWS_REGION,
// endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL). Empty: the config's state.url.
Result<std::unique_ptr<ObjectStore>> OpenStateStore(const std::string& state, const Config& config);
// The same with the AWS_* variables (and SSL_CERT_FILE) looked up in `env`.
Result<std::unique_ptr<ObjectStore>> OpenStateStore(const std::string& state, const Config& config,
                                                    const EnvLookup& env);

// The configuration and the state store a command works on.
struct ConfigAndState {
  std::unique_ptr<ConfigParse> parsed;
  std::unique_ptr<ObjectStore> store;
  const Config& config() const { return parsed->config; }
};
// LoadConfig then OpenStateStore; prints the problem to stderr and returns
// nullopt on failure.
std::optional<ConfigAndState> LoadConfigAndState(const std::string& config_path, const std::string& state);

// The actions a handle, sweep or Lambda process runs: the AWS ones
// (eventbridge, sns, sqs, lambda, stepfunctions; manifests to S3 through the
// state store's client when the state is on S3) over the local ones (exec,
// manifest into `manifest_store`, webhook through the HTTP client). `env` finds
// credentials and webhook secrets. `manifest_store` and `log` must outlive it.
class ProcessActions {
 public:
  // `state_prefix` (the configuration's state.prefix): with an S3 state,
  // AWS actions put manifests over their target's limit under
  // "<state prefix>_manifests/" in the state bucket (actions/aws_actions.h).
  ProcessActions(ObjectStore& manifest_store, Logger& log, const std::string& state_prefix,
                 const EnvLookup& env = ProcessEnv());
  ActionRunner& runner() { return *runner_; }

 private:
  std::unique_ptr<http::Client> http_;
  LocalActionRunner local_;
  std::unique_ptr<ActionRunner> runner_;
};

// Reads a whole file ("-" is stdin), at most `max_bytes`.
Result<std::string> ReadInput(const std::string& path, size_t max_bytes);

// "hostname-pid": identifies this process in claim records.
std::string WorkerId();

struct LogSetup {
  std::string format = "json";  // or "text"
  std::string level = "info";
};
std::unique_ptr<Logger> MakeLogger(const LogSetup& setup, Clock& clock);

// What `handle` and `sweep` run on: configuration and state, a logger on
// stderr, the process's actions and one engine over them.
struct CommandEngine {
  ConfigAndState loaded;
  SystemClock clock;
  std::unique_ptr<Logger> log;
  std::unique_ptr<ProcessActions> actions;
  std::unique_ptr<Engine> engine;
};
// nullptr (the problem printed to stderr) when the configuration or the
// state cannot be opened.
std::unique_ptr<CommandEngine> OpenCommandEngine(const std::string& config_path,
                                                 const std::string& state, const LogSetup& log);

}  // namespace eb::cli
