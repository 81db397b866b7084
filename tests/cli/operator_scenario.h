// The operator commands (issue 16) run as an operator runs them, against one
// state location: a folder (tests/cli/operator_cli_test.cc) or Ceph RGW
// (tests/integration/operator_ceph_test.cc). `trip --force`, `history`,
// `rerun`, `status --html`, their --help and their refusals.
#pragma once

#include <map>
#include <string>

namespace eb::test {

struct OperatorScenario {
  std::string binary;           // the eventbarrier executable
  std::string dir;              // a fresh working folder (configuration, payloads, page)
  std::string state;            // --state: a folder or s3://bucket/prefix?...
  std::string bucket = "data";  // the bucket the S3 records name
};

// Runs every step with gtest assertions (call from a TEST body).
void RunOperatorScenario(const OperatorScenario& s);

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout (and stderr when asked)
};
// Runs `binary args` through the shell; `with_stderr` adds 2>&1.
CliResult RunCli(const std::string& binary, const std::string& args, bool with_stderr = true);

// Single-quotes `s` for the shell.
std::string ShellQuote(const std::string& s);

}  // namespace eb::test
