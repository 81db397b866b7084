// What the Ceph integration tests share: the environment that
// scripts/ceph-s3.sh wrote (the CTest fixture passes its path in
// EB_S3_ENV_FILE), and running a child process without a shell.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace eb::test {

struct CephEnv {
  bool ok = false;
  std::string why;  // when !ok
  std::string endpoint, bucket, access_key, secret_key;
};

// Reads $EB_S3_ENV_FILE once and exports its variables into this process (so
// children inherit them). Not ok when the file is missing (Ceph not started).
const CephEnv& LoadCephEnv();

// In a TEST body: `env` is the loaded CephEnv, or the test is skipped (failed when CI=true).
#define EB_REQUIRE_CEPH(env)                                                                \
  const ::eb::test::CephEnv& env = ::eb::test::LoadCephEnv();                               \
  if (!env.ok) {                                                                            \
    if (::eb::test::InCi()) FAIL() << "CI=true but Ceph RGW is not available: " << env.why; \
    GTEST_SKIP() << "Ceph RGW not available (" << env.why                                   \
                 << "); install: sudo scripts/ceph-s3.sh install";                          \
  }

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Starts argv[0] (searched in PATH) with `extra_env` added to this process's
// environment; its stdout+stderr go to `output_file`. Returns the pid or -1.
int SpawnProcess(const std::vector<std::string>& argv, const std::string& output_file,
                 const std::map<std::string, std::string>& extra_env = {});
// Waits for `pid`; returns the exit code (128+signal when killed).
int WaitProcess(int pid);
// Spawn + wait + read the output.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_env = {});

// "/usr/bin/aws" (Debian's awscli) or "aws" from PATH; "" if neither runs.
std::string FindAwsCli();
// A fresh random-ish prefix ("name-<pid>-<n>/") so runs and tests never collide.
std::string UniquePrefix(const std::string& name);

}  // namespace eb::test
