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
  auto batch = watcher_.Start();
  if (!batch.ok()) return batch.status();
  log_.Info("initial scan", {{"files", std::to_string(batch->files.size())},
                             {"already_recorded", std::to_string(journal_.size())}});
  Submit(*batch);
  next_sweep_ = clock_.NowMs();  // after the scan: what arrived while we were down counts first
  next_compact_ = next_sweep_;
  return Status::Ok();
}

Status WatchLoop::Step(int max_wait_ms) {
  TimeMs now = clock_.NowMs();
  TimeMs wake = next_sweep_;
  for (const auto& [k, r] : retries_) wake = std::min(wake, r.due);
  int wait = static_cast<int>(std::clamp<TimeMs>(wake - now, 0, max_wait_ms));
  auto batch = watcher_.Next(wait);
  if (!batch.ok()) return batch.status();
  Submit(*batch);
  if (StopRequested()) return Status::Ok();
  RetryDue();
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
  }
  for (const auto& file : batch.files) {
    if (StopRequested()) return;  // the next start's scan finds the rest
    ++stats_.files;
    Submit(file, 1);
  }
}

void WatchLoop::Submit(const FileEvent& file, int attempt) {
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
  std::vector<ArrivalMatch> matches = engine_.Match(arrival);
  if (attempt == 1) {
    for (const ArrivalMatch& m : matches) {
      log_.Info("file arrived", {{"barrier", m.barrier->name}, {"instance", m.instance}, {"key", file.key},
                                 {"member", m.member}, {"version", version}});
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
  stats_.arrivals += outcome->counted;
  stats_.duplicates += outcome->duplicates;
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

void WatchLoop::Sweep() {
  TimeMs now = clock_.NowMs();
  bool compact = now >= next_compact_;
  auto swept = engine_.Sweep(compact);
  ++stats_.sweeps;
  next_sweep_ = now + options_.sweep_every_ms;
  if (compact) next_compact_ = now + options_.compact_every_ms;
  if (!swept.ok()) {
    log_.Error("sweep failed; trying again at the next one", {{"error", swept.status().ToString()}});
  } else {
    for (const auto& t : swept->trips) {
      ++stats_.trips;
      if (t.status == TripStatus::kTimeout) ++stats_.timeouts;
    }
  }
  Status saved = journal_.Save();
  if (!saved.ok()) log_.Warn("saving the journal of seen files failed", {{"error", saved.ToString()}});
}

}  // namespace eb
