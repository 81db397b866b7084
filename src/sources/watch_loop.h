// The embedded mode's main loop: files from a DirWatcher become arrivals for
// the Engine; a timer runs the sweeper (timeouts, re-drives) and saves the
// SeenJournal. Everything it touches is an interface, so tests drive it with a
// fake watcher, the memory store and a fake clock.
//
// What counts: a file closed after writing or moved in, under the name it has
// then. Temporary names (rsync's ".name.XXXXXX", "name.tmp", ...) are not data
// by the barriers' ignore rules, so a write-then-rename counts once, under the
// final name. A barrier with `stable_for` holds each of its files until its
// size, mtime and inode have not changed for that long (writers that append
// without closing or renaming); a file deleted or renamed away while held
// never counts, and under its new name it is held afresh.
//
// One thread. Between two arrivals it checks `stop_requested`: a stop finishes
// the arrival in progress, saves the journal and returns; files not yet
// submitted are found by the next start's scan.
//
// An arrival that fails (the store is down, an action failed) is tried again
// later, `attempts` times in all, like Lambda's retries; after that it is left
// to the sweeper (which re-drives the trip once its lease is over) and, since
// it never reached the journal, to the next start's scan. For a retry (or that
// scan) to finish the trip its own arrival claimed, the engine must resume it
// at once: EngineOptions::resume_grace_ms = 0, right when this loop is the
// only one feeding the state (`watch` holds a lock for that).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "core/engine.h"
#include "sources/dir_watcher.h"
#include "sources/seen_journal.h"

namespace eb {

struct WatchLoopOptions {
  TimeMs sweep_every_ms = 5000;
  TimeMs compact_every_ms = 60 * 60 * 1000;  // compaction rides on one sweep this often
  int attempts = 3;
  TimeMs retry_delay_ms = 1000;  // times the attempt number
  std::string bucket = "local";
  // Keys never submitted (the manifests this process writes into the folder).
  std::function<bool(const std::string& key)> ignore;
  // Checked between arrivals and after every wait.
  std::function<bool()> stop_requested;
};

struct WatchStats {
  int64_t files = 0;       // complete files reported by the watcher
  int64_t skipped = 0;     // already in the journal (unchanged since recorded)
  int64_t ignored = 0;     // ignored keys, or matched no barrier
  // Files a barrier's member matched but a rule kept out (arrival_filter.h), by rule.
  std::map<std::string, int64_t> ignored_by;
  int64_t unstable_gone = 0;  // held for stable_for, then deleted or renamed away
  int64_t arrivals = 0;    // markers written (an arrival counts once per barrier instance)
  int64_t duplicates = 0;  // markers that already existed
  int64_t late = 0;        // of `arrivals`: for an instance that tripped for good (on_late ran)
  int64_t trips = 0;       // generations tripped (complete or timeout), re-drives included
  int64_t timeouts = 0;
  int64_t failures = 0;    // failed attempts
  int64_t trip_failures = 0;  // trips whose actions failed (unfinished: re-driven with backoff)
  int64_t sweeps = 0;
};

class WatchLoop {
 public:
  // None of the references is owned; all must outlive the loop.
  WatchLoop(DirWatcher& watcher, Engine& engine, SeenJournal& journal, Clock& clock, Logger& log,
            WatchLoopOptions options);

  // Start, then Step until stop is requested, then Finish. OK on a requested
  // stop; the error if the watcher fails (after Finish).
  Status Run();

  // Loads the journal, starts the watcher and submits the files already there.
  // The first Step sweeps at once.
  Status Start();
  // Waits (at most `max_wait_ms`, less if a sweep or retry is due) for files,
  // submits them, retries what is due and sweeps when due.
  Status Step(int max_wait_ms);
  // Saves the journal.
  Status Finish();

  const WatchStats& stats() const { return stats_; }
  size_t pending_retries() const { return retries_.size(); }
  size_t held() const { return held_.size(); }  // files waiting to be stable_for

 private:
  struct Retry {
    FileEvent file;
    int attempts = 0;
    TimeMs due = 0;
  };

  // A file waiting until it has not changed for `stable_for`.
  struct Held {
    FileEvent file;
    TimeMs since = 0;  // when this version was first seen
    TimeMs stable_for = 0;
  };

  bool StopRequested() const { return options_.stop_requested && options_.stop_requested(); }
  // `settled`: held for stable_for already (or no barrier asks for it).
  void Submit(const FileEvent& file, int attempt, bool settled = false);
  void Submit(const WatchBatch& batch);
  void RetryDue();
  void SettleDue();
  void Sweep();

  DirWatcher& watcher_;
  Engine& engine_;
  SeenJournal& journal_;
  Clock& clock_;
  Logger& log_;
  WatchLoopOptions options_;
  WatchStats stats_;
  TimeMs next_sweep_ = 0;
  TimeMs next_compact_ = 0;
  std::map<std::string, Retry> retries_;  // by key + version
  std::map<std::string, Held> held_;      // by key
};

}  // namespace eb
