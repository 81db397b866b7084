#include "base/log.h"

#include <nlohmann/json.hpp>

namespace eb {

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

Logger::Logger(std::FILE* out, Format format, Clock* clock, LogLevel min_level)
    : out_(out), format_(format), clock_(clock), min_level_(min_level) {}

void Logger::SetContext(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  context_key_ = key;
  context_value_ = value;
}

void Logger::Log(LogLevel level, const std::string& message, LogFields fields) {
  if (out_ == nullptr || level < min_level_) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::string line;
  if (format_ == Format::kJson) {
    nlohmann::ordered_json j;
    if (clock_ != nullptr) j["time"] = FormatIso8601(clock_->NowMs());
    j["level"] = LogLevelName(level);
    j["message"] = message;
    if (!context_key_.empty()) j[context_key_] = context_value_;
    for (const auto& [k, v] : fields) j[k] = v;
    // Replace invalid UTF-8 instead of throwing: a log line must never crash the process.
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    if (clock_ != nullptr) line = FormatIso8601(clock_->NowMs()) + " ";
    line += LogLevelName(level);
    line += " " + message;
    if (!context_key_.empty()) line += " " + context_key_ + "=" + context_value_;
    for (const auto& [k, v] : fields) line += std::string(" ") + k + "=" + v;
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

Logger& Logger::Null() {
  static Logger null_logger(nullptr, Format::kJson, nullptr);
  return null_logger;
}

}  // namespace eb
