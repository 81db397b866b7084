#include "cli/common.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "actions/aws_actions.h"
#include "aws/s3_config.h"
#include "http/http_client.h"
#include "stores/folder_store.h"
#include "stores/s3_store.h"

namespace eb::cli {

Result<std::string> ReadInput(const std::string& path, size_t max_bytes) {
  std::string data;
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::NotFound("cannot open '" + path + "'");
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    data.append(buf, n);
    if (data.size() > max_bytes) {
      if (f != stdin) std::fclose(f);
      return Status::InvalidArgument("'" + path + "' is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  if (f != stdin) std::fclose(f);
  return data;
}

std::unique_ptr<ConfigParse> LoadConfig(const std::string& path) {
  auto text = ReadInput(path, 16 << 20);
  if (!text.ok()) {
    std::cerr << "error: configuration: " << text.status().message() << "\n";
    return nullptr;
  }
  auto parsed = std::make_unique<ConfigParse>(ParseConfig(*text));
  if (!parsed->ok()) {
    for (const auto& e : parsed->errors) std::cerr << path << ": " << e.ToString() << "\n";
    std::cerr << path << ": " << parsed->errors.size() << " problem(s)\n";
    return nullptr;
  }
  return parsed;
}

Result<std::unique_ptr<ObjectStore>> OpenStateStore(const std::string& state, const Config& config) {
  return OpenStateStore(state, config, ProcessEnv());
}

Result<std::unique_ptr<ObjectStore>> OpenStateStore(const std::string& state, const Config& config,
                                                    const EnvLookup& env) {
  std::string url = state.empty() ? config.state.url : state;
  if (url.empty()) {
    return Status::InvalidArgument("no state location: pass --state DIR (or file:///DIR) or set state.url in the configuration");
  }
  if (url.rfind("s3://", 0) == 0) {
    // Credentials, region and endpoint: the URL's options, then the AWS_* environment.
    auto store = S3Store::Open(url, env);
    if (!store.ok()) return store.status().WithContext("state");
    return std::unique_ptr<ObjectStore>(std::move(*store));
  }
  std::string path = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
  if (path.empty()) return Status::InvalidArgument("state '" + url + "': empty path");
  auto store = std::make_unique<FolderStore>(path);
  if (!store->init_status().ok()) return store->init_status().WithContext("state folder " + path);
  return std::unique_ptr<ObjectStore>(std::move(store));
}

std::optional<ConfigAndState> LoadConfigAndState(const std::string& config_path, const std::string& state) {
  ConfigAndState loaded;
  loaded.parsed = LoadConfig(config_path);
  if (!loaded.parsed) return std::nullopt;
  auto store = OpenStateStore(state, loaded.config());
  if (!store.ok()) {
    std::cerr << "error: " << store.status().message() << "\n";
    return std::nullopt;
  }
  loaded.store = std::move(*store);
  return loaded;
}

ProcessActions::ProcessActions(ObjectStore& manifest_store, Logger& log,
                               const std::string& state_prefix, const EnvLookup& env)
    : http_(http::NewClient(aws::HttpOptionsFromEnv(env))),
      local_(manifest_store, log, http_.get(), env) {
  auto* s3 = dynamic_cast<S3Store*>(&manifest_store);
  ManifestOverflow overflow;
  if (s3 != nullptr) overflow = {s3->bucket(), s3->prefix() + state_prefix + "_manifests/"};
  runner_ = NewAwsActionRunner(env, s3 != nullptr ? &s3->client() : nullptr, local_, log,
                               std::move(overflow));
}

std::unique_ptr<CommandEngine> OpenCommandEngine(const std::string& config_path,
                                                 const std::string& state, const LogSetup& log) {
  auto loaded = LoadConfigAndState(config_path, state);
  if (!loaded) return nullptr;
  auto c = std::make_unique<CommandEngine>();
  c->loaded = std::move(*loaded);
  c->log = MakeLogger(log, c->clock);
  c->actions =
      std::make_unique<ProcessActions>(*c->loaded.store, *c->log, c->loaded.config().state.prefix);
  EngineOptions options;
  options.worker_id = WorkerId();
  c->engine = std::make_unique<Engine>(c->loaded.config(), *c->loaded.store, c->actions->runner(),
                                       c->clock, *c->log, options);
  return c;
}

std::string WorkerId() {
  char host[256] = "host";
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(::getpid());
}

std::unique_ptr<Logger> MakeLogger(const LogSetup& setup, Clock& clock) {
  LogLevel level = setup.level == "debug" ? LogLevel::kDebug
                   : setup.level == "warn" ? LogLevel::kWarn
                   : setup.level == "error" ? LogLevel::kError
                                            : LogLevel::kInfo;
  return std::make_unique<Logger>(stderr, setup.format == "text" ? Logger::Format::kText : Logger::Format::kJson,
                                  &clock, level);
}

}  // namespace eb::cli
