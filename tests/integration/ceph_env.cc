#include "integration/ceph_env.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fakes/vectors.h"

extern char** environ;

namespace eb::test {

const CephEnv& LoadCephEnv() {
  static const CephEnv env = [] {
    CephEnv e;
    const char* path = std::getenv("EB_S3_ENV_FILE");
    if (path == nullptr || *path == '\0') {
      e.why = "EB_S3_ENV_FILE is not set (run through ctest, which starts Ceph)";
      return e;
    }
    std::ifstream in(path);
    if (!in) {
      e.why =
          std::string("no env file ") + path + " (scripts/ceph-s3.sh start did not run or skipped)";
      return e;
    }
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string word;
      while (words >> word) {
        size_t eq = word.find('=');
        if (word == "export" || eq == std::string::npos) continue;
        ::setenv(word.substr(0, eq).c_str(), word.substr(eq + 1).c_str(), 1);
      }
    }
    auto get = [](const char* n) {
      const char* v = std::getenv(n);
      return std::string(v ? v : "");
    };
    e.endpoint = get("AWS_ENDPOINT_URL");
    e.bucket = get("S3_BUCKET");
    e.access_key = get("AWS_ACCESS_KEY_ID");
    e.secret_key = get("AWS_SECRET_ACCESS_KEY");
    // Keep the AWS CLI hermetic: no user config, no pager.
    ::setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    ::setenv("AWS_PAGER", "", 1);
    e.ok = !e.endpoint.empty() && !e.bucket.empty() && !e.access_key.empty();
    if (!e.ok) e.why = std::string(path) + " lacks AWS_ENDPOINT_URL, S3_BUCKET or credentials";
    return e;
  }();
  return env;
}

int SpawnProcess(const std::vector<std::string>& argv, const std::string& output_file,
                 const std::map<std::string, std::string>& extra_env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    if (extra_env.count(kv.substr(0, kv.find('='))) == 0) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : extra_env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

int WaitProcess(int pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_env) {
  char path[] = "/tmp/eb-proc-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd >= 0) ::close(fd);
  ProcessResult r;
  int pid = SpawnProcess(argv, path, extra_env);
  if (pid > 0) r.exit_code = WaitProcess(pid);
  r.output = ReadFileOrEmpty(path);
  ::unlink(path);
  return r;
}

std::string FindAwsCli() {
  for (const char* candidate : {"/usr/bin/aws", "aws"}) {
    if (RunProcess({candidate, "--version"}).exit_code == 0) return candidate;
  }
  return "";
}

std::string UniquePrefix(const std::string& name) {
  static std::atomic<int> n{0};
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return name + "-" + std::to_string(::getpid()) + "-" + std::to_string(now % 1000000) + "-" +
         std::to_string(n++) + "/";
}

}  // namespace eb::test
