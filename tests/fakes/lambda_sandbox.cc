#include "fakes/lambda_sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace eb::test {

namespace fs = std::filesystem;

namespace {

// Async-signal-safe: the child of a multithreaded parent may only make system calls.
void WriteAll(int fd, const char* text) {
  size_t n = std::strlen(text);
  while (n > 0) {
    ssize_t w = ::write(fd, text, n);
    if (w <= 0) return;
    text += w;
    n -= static_cast<size_t>(w);
  }
}

[[noreturn]] void Die(const char* what) {
  WriteAll(2, "sandbox: ");
  WriteAll(2, what);
  WriteAll(2, ": ");
  WriteAll(2, std::strerror(errno));  // not async-signal-safe in theory; fine for a message
  WriteAll(2, "\n");
  ::_exit(127);
}

bool WriteFileAt(const char* path, const char* text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  WriteAll(fd, text);
  ::close(fd);
  return true;
}

}  // namespace

bool SandboxAvailable(std::string* why) {
  if (::geteuid() == 0) return true;
  // Unprivileged: needs user namespaces (a child tries one).
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(::unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  *why =
      "not root and unprivileged user namespaces are disabled (sysctl "
      "kernel.unprivileged_userns_clone)";
  return false;
}

std::string MakeSandboxRoot(const std::string& zip, const std::string& parent,
                            const std::string& name, std::string* error) {
  fs::path root = fs::path(parent) / name;
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::create_directories(root / "var" / "task", ec);
  fs::create_directories(root / "proc", ec);
  fs::create_directories(root / "tmp", ec);
  fs::create_directories(root / "lib64", ec);
  if (ec) {
    *error = "cannot create " + root.string() + ": " + ec.message();
    return "";
  }
  std::string cmd = "unzip -q '" + zip + "' -d '" + (root / "var" / "task").string() + "'";
  if (std::system(cmd.c_str()) != 0) {
    *error = "'" + cmd + "' failed";
    return "";
  }
  for (const char* decoy :
       {"libc.so.6", "libssl.so.3", "libstdc++.so.6", "ld-linux-x86-64.so.2"}) {
    std::ofstream(root / "lib64" / decoy) << "not a library: the package must never load this\n";
  }
  return root.string();
}

std::vector<std::string> LambdaEnvironment(const std::map<std::string, std::string>& extra) {
  // What Lambda documents for provided.al2023 (defined runtime environment variables).
  std::map<std::string, std::string> env = {
      {"LAMBDA_TASK_ROOT", "/var/task"},
      {"LAMBDA_RUNTIME_DIR", "/var/runtime"},
      {"LD_LIBRARY_PATH",
       "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/"
       "lib"},
      {"PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"},
      {"LANG", "en_US.UTF-8"},
      {"TZ", ":UTC"},
      {"_HANDLER", "unused"},
      {"AWS_REGION", "us-east-1"},
      {"AWS_DEFAULT_REGION", "us-east-1"},
      {"AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"},
      {"AWS_LAMBDA_FUNCTION_NAME", "eventbarrier-test"},
      {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"},
      {"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
      {"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/eventbarrier-test"},
      {"AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/24/[$LATEST]sandbox"},
  };
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

int SpawnInSandbox(const std::string& root, const std::vector<std::string>& env,
                   const std::string& output_file, volatile int64_t* exec_ns) {
  // Everything the child needs is prepared here: after fork it may not allocate.
  std::string proc = root + "/proc";
  std::string uid_map = "0 " + std::to_string(::getuid()) + " 1\n";
  std::string gid_map = "0 " + std::to_string(::getgid()) + " 1\n";
  bool as_root = ::geteuid() == 0;
  std::vector<std::string> env_copy = env;
  std::vector<char*> envp;
  for (auto& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);
  char bootstrap[] = "/var/task/bootstrap";
  char* argv[] = {bootstrap, nullptr};
  int out = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) return -1;

  pid_t pid = ::fork();
  if (pid != 0) {
    ::close(out);
    return pid;
  }
  // The child.
  ::dup2(out, 1);
  ::dup2(out, 2);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (as_root) {
    if (::unshare(CLONE_NEWNS) != 0) Die("unshare(CLONE_NEWNS)");
  } else {
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) Die("unshare(CLONE_NEWUSER|CLONE_NEWNS)");
    WriteFileAt("/proc/self/setgroups", "deny");
    if (!WriteFileAt("/proc/self/uid_map", uid_map.c_str())) Die("uid_map");
    if (!WriteFileAt("/proc/self/gid_map", gid_map.c_str())) Die("gid_map");
  }
  // Private: the bind mount below stays in this namespace and dies with it.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Die("make / private");
  if (::mount("/proc", proc.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) Die("bind /proc");
  if (::chroot(root.c_str()) != 0) Die("chroot");
  if (::chdir("/") != 0) Die("chdir /");
  if (exec_ns != nullptr) {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    *exec_ns = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }
  ::execve(bootstrap, argv, envp.data());
  Die("execve /var/task/bootstrap");
}

int WaitSandboxed(int pid, long* maxrss_kb) {
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) return -1;
  }
  if (maxrss_kb != nullptr) *maxrss_kb = usage.ru_maxrss;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace eb::test
