// `eventbarrier watch`: the embedded mode. Watches a folder, keeps the state in
// a folder store (by default inside the watched folder, under the state
// prefix), runs actions locally. See sources/watch_loop.h for the loop.
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "actions/local_actions.h"
#include "base/crypto.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/stop_signals.h"
#include "http/http_client.h"
#include "core/engine.h"
#include "sources/local_files.h"
#include "sources/watch_loop.h"
#include "stores/folder_store.h"

namespace eb::cli {

namespace {

constexpr const char* kFolderTempDir = ".eb-tmp";  // FolderStore's temporary files

std::optional<std::string> RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

// `inner` relative to `outer` if it lies inside it ("" when equal).
std::optional<std::string> RelativeInside(const std::string& outer, const std::string& inner) {
  if (inner == outer) return std::string();
  if (inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 && inner[outer.size()] == '/') {
    return inner.substr(outer.size() + 1);
  }
  return std::nullopt;
}

// An exclusive flock(2) on a file in the state folder, held for the process's
// life and released by the kernel however it ends (kill -9 included).
class WatchLock {
 public:
  static Result<std::unique_ptr<WatchLock>> Acquire(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return Status::AlreadyExists("another eventbarrier watch is using this state (" + path + ")");
    }
    return std::unique_ptr<WatchLock>(new WatchLock(fd));
  }
  ~WatchLock() { ::close(fd_); }

 private:
  explicit WatchLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

Runner SetupWatch(CLI::App& sub) {
  struct Opts {
    std::string config, dir, state, sweep_every = "5s";
    LogSetup log;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--config,-c", o->config, "Configuration file")->required();
  sub.add_option("--dir,-d", o->dir, "Folder to watch (recursively); each file's path relative to it is its key")
      ->required();
  sub.add_option("--state,-s", o->state,
                 "State location (a folder, or s3://...); default: the config's state.url, else DIR itself "
                 "(state under DIR/.eventbarrier/)");
  sub.add_option("--sweep-every", o->sweep_every, "How often the sweeper runs (timeouts, re-drives); default 5s");
  sub.add_option("--log-format", o->log.format, "json (default: one object per line) or text")
      ->check(CLI::IsMember({"json", "text"}));
  sub.add_option("--log-level", o->log.level, "debug, info (default), warn, error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  sub.footer(
      "A file counts once it is closed after writing or moved in, never half-written, under the name it\n"
      "has then: temporary names (.name.XXXXXX, *.tmp, ...) are not data by the ignore rules, so a\n"
      "write-then-rename (rsync, scp, mv) counts once; stable_for waits for writers that never close.\n"
      "Files already in DIR when it starts count too (so nothing is lost while it was down); the same\n"
      "file seen twice is one arrival, a file written again is a new one. Manifests are written into\n"
      "DIR. SIGINT/SIGTERM finish the current arrival and exit 0; a restart resumes from the state.");
  return [o] {
    auto parsed = LoadConfig(o->config);
    if (!parsed) return static_cast<int>(kExitFailure);
    const Config& config = parsed->config;
    auto config_text = ReadInput(o->config, 16 << 20);
    Status actions_ok = CheckLocalActions(config, ProcessEnv());
    if (!actions_ok.ok()) {
      std::cerr << o->config << ": " << actions_ok.message() << "\n";
      return static_cast<int>(kExitFailure);
    }
    auto dir = RealPath(o->dir);
    if (!dir) {
      std::cerr << "error: --dir " << o->dir << ": no such folder\n";
      return static_cast<int>(kExitFailure);
    }
    FolderStore data(*dir);
    if (!data.init_status().ok()) {
      std::cerr << "error: " << data.init_status().ToString() << "\n";
      return static_cast<int>(kExitFailure);
    }
    // The state: --state, else the config's state.url, else the watched folder itself.
    std::vector<std::string> ignore_dirs = {kFolderTempDir};
    std::unique_ptr<ObjectStore> state_owner;
    ObjectStore* state = &data;
    std::string state_where = *dir;
    if (!o->state.empty() || !config.state.url.empty()) {
      auto opened = OpenStateStore(o->state, config);
      if (!opened.ok()) {
        std::cerr << "error: " << opened.status().message() << "\n";
        return static_cast<int>(kExitFailure);
      }
      state_owner = std::move(*opened);
      state = state_owner.get();
      state_where = o->state.empty() ? config.state.url : o->state;
    }
    KeyLayout layout(config.state.prefix);
    std::string state_path = state_where.rfind("file://", 0) == 0 ? state_where.substr(7) : state_where;
    std::unique_ptr<WatchLock> lock;
    if (auto real = RealPath(state_path)) {
      // One watch per state folder: a second one would take a live claim for a dead one (below).
      auto locked = WatchLock::Acquire(*real + "/" + layout.state_prefix() + "_watch/lock");
      if (!locked.ok()) {
        std::cerr << "error: " << locked.status().message() << "\n";
        return static_cast<int>(kExitFailure);
      }
      lock = std::move(*locked);
      if (auto inside = RelativeInside(*dir, *real)) {
        // State in the watched folder: never watch it (the engine ignores its keys anyway).
        std::string prefix = layout.state_prefix();
        if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
        ignore_dirs.push_back(inside->empty() ? prefix : *inside);
      }
    }
    auto duration = ParseDuration(o->sweep_every);
    if (!duration) {
      std::cerr << "error: --sweep-every '" << o->sweep_every << "': use e.g. 5s, 1m\n";
      return static_cast<int>(kExitUsage);
    }
    if (!StopSignals::Install()) {
      std::cerr << "error: cannot install signal handlers\n";
      return static_cast<int>(kExitFailure);
    }
    auto watcher = NewInotifyWatcher({*dir, ignore_dirs, StopSignals::fd()});
    if (!watcher.ok()) {
      std::cerr << "error: " << watcher.status().ToString() << "\n";
      return static_cast<int>(kExitFailure);
    }

    SystemClock clock;
    auto log = MakeLogger(o->log, clock);
    auto http_client = http::NewClient();
    LocalActionRunner actions(data, *log, http_client.get(), ProcessEnv());
    EngineOptions engine_options;
    engine_options.worker_id = WorkerId();
    // The engine waits before a redelivered event resumes the unfinished trip it
    // claimed, in case that claimant is still alive. Here the claimant was this
    // folder's only watch (the lock above): it is dead, or it was us a moment ago
    // (a retry after a failed action). Resume at once.
    engine_options.resume_grace_ms = 0;
    // A restart submits again the files the killed run had recorded but not
    // yet noted, a moment after they were written: copies that are prompt.
    // Each reads its tombstone (a local file) rather than re-create the
    // marker of a consumed file, which would wait in a/ as progress towards
    // the next generation until a trip settled it stale.
    engine_options.prompt_arrival_ms = 0;
    Engine engine(config, *state, actions, clock, *log, engine_options);
    // Tied to this configuration and folder: under another one, every file is submitted again.
    SeenJournal journal(*state, layout.state_prefix() + "_watch/seen.json",
                        Sha256Hex((config_text.ok() ? *config_text : "") + '\0' + *dir));

    std::vector<std::string> manifest_keys;
    for (const auto& spec : config.barriers) {
      ForEachAction(spec, [&](const std::string&, const ActionSpec& a) {
        if (a.type == "manifest" && a.fields.count("key"))
          manifest_keys.push_back(a.fields.at("key"));
      });
    }
    WatchLoopOptions options;
    options.sweep_every_ms = *duration;
    options.ignore = [manifest_keys](const std::string& key) {
      for (const auto& t : manifest_keys) {
        if (MatchesKeyTemplate(t, key)) return true;  // our own output
      }
      return false;
    };
    options.stop_requested = [] { return StopSignals::requested(); };
    WatchLoop loop(**watcher, engine, journal, clock, *log, options);
    std::string ignored;
    for (const auto& d : ignore_dirs) ignored += (ignored.empty() ? "" : ",") + d;
    log->Info("watching", {{"dir", *dir}, {"state", state->Describe() + "/" + layout.state_prefix()},
                           {"barriers", std::to_string(config.barriers.size())},
                           {"sweep_every", FormatDuration(*duration)}, {"not_watched", ignored}});
    Status s = loop.Run();
    const WatchStats& st = loop.stats();
    if (!s.ok()) log->Error("stopped on an error", {{"error", s.ToString()}});
    std::string ignored_by;
    for (const auto& [rule, n] : st.ignored_by) ignored_by += (ignored_by.empty() ? "" : ", ") + rule + "=" + std::to_string(n);
    log->Info("stopped", {{"signal", std::to_string(StopSignals::signal())}, {"files", std::to_string(st.files)},
                          {"ignored", std::to_string(st.ignored)}, {"ignored_by", ignored_by},
                          {"arrivals", std::to_string(st.arrivals)}, {"duplicates", std::to_string(st.duplicates)},
                          {"skipped_unchanged", std::to_string(st.skipped)}, {"trips", std::to_string(st.trips)},
                          {"timeouts", std::to_string(st.timeouts)}, {"failures", std::to_string(st.failures)},
                          {"late", std::to_string(st.late)}});
    return s.ok() ? static_cast<int>(kExitOk) : static_cast<int>(kExitFailure);
  };
}

}  // namespace eb::cli
