// Structured logging: one JSON object per line (CloudWatch and jq read it),
// or a human-readable line with Format::kText. The sink is passed in; nothing
// here writes to a global stream on its own.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <utility>

#include "base/clock.h"

namespace eb {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
const char* LogLevelName(LogLevel level);

// Fields attached to one log line; values are strings (numbers are written as given).
using LogFields = std::initializer_list<std::pair<const char*, std::string>>;

class Logger {
 public:
  enum class Format { kJson, kText };
  // `out` is not owned; `clock` may be null (no timestamp).
  Logger(std::FILE* out, Format format, Clock* clock, LogLevel min_level = LogLevel::kInfo);

  void Log(LogLevel level, const std::string& message, LogFields fields = {});
  void Info(const std::string& m, LogFields f = {}) { Log(LogLevel::kInfo, m, f); }
  void Warn(const std::string& m, LogFields f = {}) { Log(LogLevel::kWarn, m, f); }
  void Error(const std::string& m, LogFields f = {}) { Log(LogLevel::kError, m, f); }
  // A field added to every line from now on (e.g. the Lambda request id).
  void SetContext(const std::string& key, const std::string& value);

  // A logger that drops everything (for tests and benchmarks).
  static Logger& Null();

 private:
  std::FILE* out_;
  Format format_;
  Clock* clock_;
  LogLevel min_level_;
  std::string context_key_, context_value_;
  std::mutex mu_;
};

}  // namespace eb
