// Running an unpacked Lambda zip in an empty root, for the packaging tests
// and the cold-start benchmark. The root holds only
//   ROOT/var/task/...   the zip's contents (where Lambda unpacks it)
//   ROOT/proc           /proc, bind-mounted in the child's own mount namespace
//   ROOT/lib64/...      decoys: files named libc.so.6 and libssl.so.3 that are not
//                       libraries (Lambda's LD_LIBRARY_PATH lists /lib64: a package
//                       that searched it before its own lib/ would fail to start)
// plus whatever a test adds (a configuration, a state folder). The child enters
// it with chroot in a private mount namespace (and a user namespace when not
// root), so nothing of the build machine's filesystem is visible: a library
// missing from the zip fails the start, as it would on Lambda.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace eb::test {

// Whether this process can enter a sandbox (root, or unprivileged user
// namespaces); `why` says what is missing otherwise.
bool SandboxAvailable(std::string* why);

// Unzips `zip` into PARENT/NAME/var/task and adds /proc and the decoys.
// Returns the root's path, or "" (with `error` set).
std::string MakeSandboxRoot(const std::string& zip, const std::string& parent,
                            const std::string& name, std::string* error);

// The environment Lambda gives a provided.al2023 function (LAMBDA_TASK_ROOT,
// LD_LIBRARY_PATH, AWS_LAMBDA_FUNCTION_NAME, ...), with `extra` added or replacing.
std::vector<std::string> LambdaEnvironment(const std::map<std::string, std::string>& extra);

// Forks a child that enters `root` and execs /var/task/bootstrap with exactly
// `env`; its stdout and stderr go to `output_file` (a path outside the root).
// When `exec_ns` is given (it must point into memory shared with the child:
// mmap MAP_SHARED|MAP_ANONYMOUS), it receives the CLOCK_MONOTONIC time (ns)
// taken in the child just before execve (for the cold-start benchmark).
// Returns the pid, or -1. The child is killed if the calling thread exits.
int SpawnInSandbox(const std::string& root, const std::vector<std::string>& env,
                   const std::string& output_file, volatile int64_t* exec_ns = nullptr);

// Waits for `pid`; the exit code (128+signal when killed). With `maxrss_kb`,
// the child's peak resident set size.
int WaitSandboxed(int pid, long* maxrss_kb = nullptr);

}  // namespace eb::test
