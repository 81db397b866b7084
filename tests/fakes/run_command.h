// Running one of our own command lines through the shell in a test and
// collecting what it prints (the CLI, the packaged bootstrap's checks).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace eb::test {

struct CommandResult {
  int exit_code = -1;  // -1: it could not be started or did not exit normally
  std::string out;     // its standard output (add "2>&1" to the command for stderr too)
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace eb::test
