#include "actions/local_actions.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/config.h"

namespace eb {

std::string SubstituteTripVars(const std::string& text, const TripRecord& trip,
                               const std::function<std::string(const std::string&)>& encode) {
  Bindings values = trip.bindings;
  values.emplace("barrier", trip.barrier);
  values.emplace("instance", trip.instance);
  values.emplace("generation", std::to_string(trip.generation));
  values.emplace("status", TripStatusName(trip.status));
  values.emplace("idempotency_key", trip.IdempotencyKey());
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    if (open == std::string::npos) break;
    size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    out.append(text, i, open - i);
    auto it = values.find(text.substr(open + 1, close - open - 1));
    if (it == values.end()) {
      out.append(text, open, close - open + 1);
    } else {
      out += encode ? encode(it->second) : it->second;
    }
    i = close + 1;
  }
  out.append(text, i, std::string::npos);
  return out;
}

Result<ExecResult> RunCommand(const std::vector<std::string>& argv, const std::string& stdin_data,
                              TimeMs timeout_ms, const std::string& cwd) {
  if (argv.empty()) return Status::InvalidArgument("exec: empty command");
  // The manifest goes through an anonymous file, so a child that never reads
  // its stdin cannot block us on a full pipe.
  int in_fd = ::memfd_create("eventbarrier-manifest", MFD_CLOEXEC);
  if (in_fd < 0) return Status::Unavailable(std::string("memfd_create: ") + std::strerror(errno));
  if (::write(in_fd, stdin_data.data(), stdin_data.size()) != static_cast<ssize_t>(stdin_data.size()) ||
      ::lseek(in_fd, 0, SEEK_SET) != 0) {
    ::close(in_fd);
    return Status::Unavailable("exec: could not stage the manifest");
  }
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(in_fd);
    return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(in_fd);
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    return Status::Unavailable(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Signal masks and ignored dispositions survive exec: give the command a clean slate.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGIO, SIG_DFL);
    ::dup2(in_fd, 0);
    ::dup2(err_pipe[1], 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) _exit(126);
    ::execvp(args[0], args.data());
    const char* msg = "exec failed: ";
    (void)!::write(2, msg, std::strlen(msg));
    (void)!::write(2, std::strerror(errno), std::strlen(std::strerror(errno)));
    _exit(127);
  }
  ::close(in_fd);
  ::close(err_pipe[1]);
  ExecResult result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{err_pipe[0], POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the child closed stderr (normally: exited)
    result.stderr_tail.append(buf, static_cast<size_t>(n));
    if (result.stderr_tail.size() > 8192) result.stderr_tail.erase(0, result.stderr_tail.size() - 4096);
  }
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Status::Unavailable("exec: '" + argv[0] + "' timed out after " + FormatDuration(timeout_ms) + " and was killed");
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

Status CheckLocalActions(const Config& config, const EnvLookup& env) {
  std::string problems;
  for (const auto& spec : config.barriers) {
    ForEachAction(spec, [&](const std::string& field, const ActionSpec& a) {
      std::string where = spec.name + ": " + field;
      if (a.type == "webhook") {
        Status s = CheckWebhookUrl(a.fields.count("url") ? a.fields.at("url") : "");
        if (!s.ok()) problems += where + ".url: " + s.message() + "\n";
        if (auto e = a.fields.find("secret_env"); e != a.fields.end()) {
          auto value = env ? env(e->second) : std::nullopt;
          if (!value || value->empty()) {
            problems += where + ".secret_env: environment variable " + e->second + " is not set\n";
          }
        }
      } else if (a.type != "manifest" && a.type != "exec") {
        problems +=
            where + ".type: '" + a.type + "' runs only on AWS (local: manifest, exec, webhook)\n";
      }
    });
  }
  if (problems.empty()) return Status::Ok();
  problems.pop_back();
  return Status::InvalidArgument(problems);
}

Status LocalActionRunner::RunExec(const ActionSpec& action, const TripRecord& trip, ActionReport* report) {
  std::vector<std::string> argv;
  for (const auto& a : action.command) argv.push_back(SubstituteTripVars(a, trip));
  TimeMs timeout = 5 * 60 * 1000;
  if (auto it = action.fields.find("timeout"); it != action.fields.end()) {
    if (auto d = ParseDuration(it->second)) timeout = *d;
  }
  std::string cwd = action.fields.count("cwd") ? action.fields.at("cwd") : "";
  EB_ASSIGN_OR_RETURN(auto result, RunCommand(argv, ManifestJson(trip), timeout, cwd));
  if (result.exit_code != 0) {
    return Status::Unavailable("exec: '" + argv[0] + "' exited with " +
                               std::to_string(result.exit_code) +
                               (result.stderr_tail.empty() ? "" : ": " + result.stderr_tail));
  }
  constexpr size_t kReportedStderr = 2048;
  const std::string& err = result.stderr_tail;
  report->Add("exit_code", std::to_string(result.exit_code));
  report->Add("stderr", err.size() > kReportedStderr ? err.substr(err.size() - kReportedStderr) : err);
  log_.Info("command ran", {{"barrier", trip.barrier}, {"instance", trip.instance},
                            {"generation", std::to_string(trip.generation)}, {"command", argv[0]}});
  return Status::Ok();
}

Status LocalActionRunner::RunReporting(const ActionSpec& action, const TripRecord& trip, ActionReport* report) {
  if (action.type == "manifest") {
    auto key_it = action.fields.find("key");
    if (key_it == action.fields.end()) return Status::InvalidArgument("manifest action without a key");
    std::string key = SubstituteTripVars(key_it->second, trip);
    EB_RETURN_IF_ERROR(manifest_store_.Put(key, ManifestJson(trip)));
    report->Add("key", key);
    log_.Info("manifest written", {{"barrier", trip.barrier}, {"instance", trip.instance},
                                   {"generation", std::to_string(trip.generation)}, {"key", key}});
    return Status::Ok();
  }
  if (action.type == "exec") return RunExec(action, trip, report);
  if (action.type == "webhook") {
    if (http_ == nullptr) return Status::InvalidArgument("webhook actions are not available here");
    EB_RETURN_IF_ERROR(RunWebhook(action, trip, *http_, env_, report));
    log_.Info("webhook delivered", {{"barrier", trip.barrier}, {"instance", trip.instance},
                                    {"generation", std::to_string(trip.generation)}, {"url", action.fields.at("url")}});
    return Status::Ok();
  }
  return Status::InvalidArgument("action type '" + action.type + "' is not available in local mode");
}

}  // namespace eb
