#include "sources/watch_loop.h"

#include <algorithm>
#include <set>

#include "sources/local_files.h"

namespace eb {

WatchLoop::WatchLoop(DirWatcher& watcher, Engine& engine, SeenJournal& journal, Clock& clock, Logger& log,
                     WatchLoopOptions options)
    : watcher_(watcher), engine_(engine), journal_(journal), clock_(clock), log_(log), options_(std::move(options)) {}

Status WatchLoop::Run() {
  EB_RETURN_IF_ERROR(Start());
  Status error;
  while (!StopRequested()) {
    error = Step(1000);
    if (!error.ok()) break;
  }
  Status saved = Finish();
  return error.ok() ? saved : error;
}

Status WatchLoop::Start() {
  Status loaded = journal_.Load();
  if (!loaded.ok() && !loaded.IsNotFound()) {
    log_.Warn("journal of seen files not used", {{"error", loaded.ToString()}});
  }
  EB_ASSIGN_OR_RETURN(auto batch, watcher_.Start());
  log_.Info("initial scan", {{"files", std::to_string(batch.files.size())},
                             {"already_recorded", std::to_string(journal_.size())}});
  Submit(batch);
  next_sweep_ = clock_.NowMs();  // after the scan: what arrived while we were down counts first
  next_compact_ = next_sweep_;
  return Status::Ok();
}

Status WatchLoop::Step(int max_wait_ms) {
  TimeMs now = clock_.NowMs();
  TimeMs wake = next_sweep_;
  for (const auto& [k, r] : retries_) wake = std::min(wake, r.due);
  for (const auto& [k, h] : held_) wake = std::min(wake, h.since + h.stable_for);
  int wait = static_cast<int>(std::clamp<TimeMs>(wake - now, 0, max_wait_ms));
  EB_ASSIGN_OR_RETURN(auto batch, watcher_.Next(wait));
  Submit(batch);
  if (StopRequested()) return Status::Ok();
  RetryDue();
  SettleDue();
  if (clock_.NowMs() >= next_sweep_ && !StopRequested()) Sweep();
  return Status::Ok();
}

Status WatchLoop::Finish() {
  Status s = journal_.Save();
  if (!s.ok()) log_.Error("saving the journal of seen files failed", {{"error", s.ToString()}});
  return s;
}

void WatchLoop::Submit(const WatchBatch& batch) {
  if (batch.full_scan) {
    std::set<std::string> present;
    for (const auto& f : batch.files) present.insert(f.key);
    journal_.Retain(present);
    for (auto it = held_.begin(); it != held_.end();) it = present.count(it->first) ? std::next(it) : held_.erase(it);
  }
  for (const auto& file : batch.files) {
    if (StopRequested()) return;  // the next start's scan finds the rest
    ++stats_.files;
    Submit(file, 1);
  }
}

void WatchLoop::Submit(const FileEvent& file, int attempt, bool settled) {
  if (options_.ignore && options_.ignore(file.key)) {
    ++stats_.ignored;
    return;
  }
  std::string version = LocalFileVersion(file.version);
  if (journal_.Seen(file.key, version)) {
    ++stats_.skipped;
    if (!file.from_scan) log_.Info("duplicate: file unchanged since it was recorded", {{"key", file.key}, {"version", version}});
    return;
  }
  Arrival arrival = LocalFileArrival(file, options_.bucket);
  std::vector<IgnoredArrival> why;
  std::vector<ArrivalMatch> matches = engine_.Match(arrival, &why);
  if (attempt == 1 && !settled) {
    TimeMs stable_for = 0;
    for (const ArrivalMatch& m : matches) stable_for = std::max(stable_for, m.barrier->stable_for.value_or(0));
    if (stable_for > 0) {
      auto it = held_.find(file.key);
      if (it == held_.end() || LocalFileVersion(it->second.file.version) != version) {
        log_.Info("file held until it is stable", {{"key", file.key}, {"version", version},
                                                    {"stable_for", FormatDuration(stable_for)}});
        held_[file.key] = {file, clock_.NowMs(), stable_for};
      }
      return;
    }
  }
  if (attempt == 1) {
    for (const ArrivalMatch& m : matches) {
      log_.Info("file arrived", {{"barrier", m.barrier->name}, {"instance", m.instance}, {"key", file.key},
                                 {"member", m.member}, {"version", version}});
    }
    for (const IgnoredArrival& w : why) {
      log_.Info("file ignored: not data for this barrier", {{"barrier", w.barrier}, {"key", file.key},
                                                            {"rule", w.rule}, {"reason", w.reason}});
    }
  }
  std::string retry_key = file.key + '\n' + version;
  auto outcome = engine_.OnArrival(arrival);
  if (!outcome.ok()) {
    ++stats_.failures;
    if (attempt < options_.attempts) {
      TimeMs due = clock_.NowMs() + options_.retry_delay_ms * attempt;
      log_.Warn("arrival failed; trying again", {{"key", file.key}, {"attempt", std::to_string(attempt)},
                                                 {"error", outcome.status().ToString()}});
      retries_[retry_key] = {file, attempt, due};
    } else {
      log_.Error("arrival failed; left to the sweeper and the next start",
                 {{"key", file.key}, {"attempts", std::to_string(attempt)}, {"error", outcome.status().ToString()}});
      retries_.erase(retry_key);
    }
    return;
  }
  retries_.erase(retry_key);
  journal_.Record(file.key, version);
  if (outcome->ignored) {
    ++stats_.ignored;
    log_.Log(LogLevel::kDebug, "file matches no barrier", {{"key", file.key}});
  } else if (outcome->counted == 0 && !file.from_scan) {
    log_.Info("duplicate: arrival already recorded", {{"key", file.key}, {"version", version}});
  }
  std::set<std::string> rules;
  for (const IgnoredArrival& w : outcome->ignored_by) {
    if (rules.insert(w.rule).second) ++stats_.ignored_by[w.rule];
  }
  stats_.arrivals += outcome->counted;
  stats_.duplicates += outcome->duplicates;
  stats_.late += outcome->late;
  stats_.trip_failures += outcome->trip_failures;
  for (const auto& t : outcome->trips) {
    ++stats_.trips;
    if (t.status == TripStatus::kTimeout) ++stats_.timeouts;
  }
}

void WatchLoop::RetryDue() {
  TimeMs now = clock_.NowMs();
  std::vector<Retry> due;
  for (const auto& [k, r] : retries_) {
    if (r.due <= now) due.push_back(r);
  }
  for (const auto& r : due) {
    if (StopRequested()) return;
    Submit(r.file, r.attempts + 1);
  }
}

void WatchLoop::SettleDue() {
  TimeMs now = clock_.NowMs();
  std::vector<std::string> due;
  for (const auto& [key, h] : held_) {
    if (h.since + h.stable_for <= now) due.push_back(key);
  }
  for (const auto& key : due) {
    if (StopRequested()) return;  // the next start's scan finds it again
    Held& h = held_.at(key);
    std::optional<FileEvent> current = watcher_.Stat(key);
    if (!current) {
      ++stats_.unstable_gone;
      log_.Info("held file deleted or renamed away before it was stable; not counted", {{"key", key}});
      held_.erase(key);
      continue;
    }
    if (LocalFileVersion(current->version) != LocalFileVersion(h.file.version)) {
      h.file.version = current->version;  // still changing: wait again
      h.since = now;
      continue;
    }
    FileEvent file = h.file;
    held_.erase(key);
    Submit(file, 1, /*settled=*/true);
  }
}

void WatchLoop::Sweep() {
  TimeMs now = clock_.NowMs();
  bool compact = now >= next_compact_;
  SweepOptions sweep;
  sweep.compact = compact;
  sweep.deadline_ms =
      now + options_.sweep_every_ms;  // the next sweep goes on where this one stopped
  sweep.parallel = 4;
  auto swept = engine_.Sweep(sweep);
  ++stats_.sweeps;
  next_sweep_ = now + options_.sweep_every_ms;
  if (compact) next_compact_ = now + options_.compact_every_ms;
  if (!swept.ok()) {
    log_.Error("sweep failed; trying again at the next one", {{"error", swept.status().ToString()}});
  } else {
    stats_.trip_failures += swept->trip_failures;
    for (const auto& t : swept->trips) {
      ++stats_.trips;
      if (t.status == TripStatus::kTimeout) ++stats_.timeouts;
    }
  }
  Status saved = journal_.Save();
  if (!saved.ok()) log_.Warn("saving the journal of seen files failed", {{"error", saved.ToString()}});
}

}  // namespace eb
