// What the operator commands that act (`trip`, `rerun`) share on the command
// line: their common flags, and the configuration, state, logger and actions
// an OperatorContext runs on.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/common.h"
#include "cli/operator_ops.h"

namespace eb::cli {

struct OperatorFlags {
  std::string config, state, by, reason;
  bool json = false;
  LogSetup log;
};
// --config, --state, --by, --reason, --json, --log-format.
void AddOperatorFlags(CLI::App& sub, OperatorFlags* flags, const std::string& by_help,
                      const std::string& reason_help);

struct OperatorSession {
  ConfigAndState loaded;
  SystemClock clock;
  std::unique_ptr<Logger> log;
  std::unique_ptr<ProcessActions> actions;
  std::unique_ptr<OperatorContext> ctx;
};
// nullptr (the problem printed to stderr) when the configuration or the state cannot be opened.
std::unique_ptr<OperatorSession> OpenOperatorSession(const OperatorFlags& flags);

}  // namespace eb::cli
