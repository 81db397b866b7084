// A JSON Logger writing to a temporary file, and what it has logged so far:
// for tests that check a log line.
#pragma once

#include <cstdio>
#include <string>

#include "base/log.h"

namespace eb::test {

class LogFile {
 public:
  LogFile() : file_(std::tmpfile()), logger_(file_, Logger::Format::kJson, nullptr) {}
  ~LogFile() { std::fclose(file_); }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  Logger& logger() { return logger_; }
  // Every line logged so far.
  std::string Text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, file_)) text.append(buf, n);
    return text;
  }

 private:
  std::FILE* file_;
  Logger logger_;
};

}  // namespace eb::test
