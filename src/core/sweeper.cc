#include "core/sweeper.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "base/parallel.h"
#include "core/compaction.h"
#include "core/evaluator.h"
#include "core/trip_log.h"

namespace eb {

std::string SweepCursorKey(const std::string& state_prefix) {
  return state_prefix + "_sweep/cursor";
}
std::string SweepLeftPrefix(const std::string& state_prefix) {
  return state_prefix + "_sweep/left/";
}

namespace {

using json = nlohmann::json;

// What one LIST of an instance's prefix shows.
struct Probe {
  Status status;
  bool truncated = false;  // more than one page: judged by the full evaluation
  std::vector<ObjectInfo> markers, trips, hints;
  std::vector<std::string> tags;  // the markers' member tags, decoded once here
  TimeMs newest = 0;              // the newest object's store time
  TimeMs listed_at = 0;           // no later than the LIST was sent (store time)
  bool any_record = false;
  // The earliest re-drive of an unfinished trip due (backoff, trip_log.h);
  // nullopt: no trip is unfinished.
  std::optional<TimeMs> redrive_due;

  bool idle() const { return status.ok() && !truncated && markers.empty() && !redrive_due; }
};

Probe ProbeInstance(const EngineContext& ctx, const std::string& barrier,
                    const std::string& instance) {
  Probe p;
  ListOptions options;
  options.prefix = ctx.layout.InstancePrefix(barrier, instance);
  auto page = ctx.store.List(options);
  if (!page.ok()) {
    p.status = page.status();
    return p;
  }
  p.truncated = !page->next_continuation.empty();
  for (auto& obj : page->objects) {
    p.newest = std::max(p.newest, obj.last_modified);
    auto k = ctx.layout.Decode(obj.key);
    if (!k) continue;
    switch (k->kind) {
      case StateKeyKind::kArrival:
        p.markers.push_back(std::move(obj));
        p.tags.push_back(std::move(k->tag));
        break;
      case StateKeyKind::kShardHint:
        p.hints.push_back(std::move(obj));
        break;
      case StateKeyKind::kTrip:
      case StateKeyKind::kTripDone:
      case StateKeyKind::kTripAttempt:
      case StateKeyKind::kTripStale:
      case StateKeyKind::kTripRerun:
      case StateKeyKind::kTripFailed:
        p.trips.push_back(std::move(obj));
        break;
      default:
        break;
    }
  }
  for (const auto& [gen, g] : ScanTripKeys(ctx.layout, p.trips)) {
    if (!g.record) continue;
    p.any_record = true;
    if (!g.done) {
      TimeMs due = RedriveDueAt(ctx.config.state.lease_ms, g.attempts, g.last_activity);
      p.redrive_due = std::min(p.redrive_due.value_or(due), due);
    }
  }
  return p;
}

// When an instance with something pending must be visited again.
std::optional<TimeMs> DueAt(const BarrierSpec& spec, const Probe& p) {
  std::optional<TimeMs> due;
  if (p.redrive_due) due = *p.redrive_due;
  if (spec.timeout_ms && !p.markers.empty()) {
    TimeMs oldest = OldestModified(p.markers);
    due = std::min(due.value_or(oldest + *spec.timeout_ms), oldest + *spec.timeout_ms);
  }
  return due;
}

// True when an evaluation of the probed instance could do nothing now: the
// probe saw the whole instance (one page), the barrier is not sharded (a
// sharded one's evaluation also publishes the open generation's hints), even
// every marker present does not cover the members (so no claim is possible,
// counting arrivals an unfinished trip lists), and neither a timeout nor an
// unfinished trip's next re-drive (its backoff) is due. Without markers: an
// unfinished trip (a failing action) whose backoff has not run out.
bool NothingDue(const BarrierSpec& spec, const BarrierShape& shape, const Probe& p, TimeMs now) {
  if (p.truncated || shape.plan().sharded()) return false;
  if (p.markers.empty()) return p.redrive_due && *p.redrive_due > now;
  if (shape.Covers(p.tags)) return false;
  auto due = DueAt(spec, p);
  return !due || *due > now;
}

std::string PadTime(TimeMs ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%015lld", static_cast<long long>(ms));
  return buf;
}

struct Leaver {
  std::string open_key;
  TimeMs newest = 0;
};

std::string SerializeLeft(const std::vector<Leaver>& leavers) {
  json list = json::array();
  for (const auto& l : leavers) list.push_back({{"key", l.open_key}, {"newest", l.newest}});
  return json{{"format", kStateFormat}, {"instances", std::move(list)}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<Leaver>> ParseLeft(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("instances") || !j["instances"].is_array()) {
    return Status::InvalidArgument("left instances: field 'instances' is missing or not a list");
  }
  std::vector<Leaver> out;
  for (const auto& e : j["instances"]) {
    if (!e.is_object() || !e.contains("key") || !e["key"].is_string() || !e.contains("newest") ||
        !e["newest"].is_number_integer()) {
      return Status::InvalidArgument("left instances: an entry lacks 'key' or 'newest'");
    }
    out.push_back({e["key"].get<std::string>(), e["newest"].get<TimeMs>()});
  }
  return out;
}

class SweepRun {
 public:
  SweepRun(const EngineContext& ctx, const Sweeper::Hooks& hooks, const SweepOptions& options)
      : ctx_(ctx), hooks_(hooks), options_(options), trips_(ctx) {}

  Result<SweepOutcome> Run();

 private:
  bool DeadlineReached() const {
    return options_.deadline_ms > 0 && ctx_.clock.NowMs() >= options_.deadline_ms;
  }
  size_t Batch() const { return static_cast<size_t>(std::max(1, options_.parallel)); }
  void Fail(const Status& s) {
    if (first_error_.ok()) first_error_ = s;
  }
  void LoadCursor();
  void Recheck();
  // Adds the open-index entries the sweeper keeps (SweeperKeepsIndexed) that
  // `entries` (the index, sorted) lacks, to the store and to `entries`, due now.
  void IndexKeptInstances(std::vector<ObjectInfo>* entries);
  void BeginLap();
  // Visits `entry` with its probe; false when the deadline stopped it before
  // any request (the entry stays for the next sweep).
  bool Visit(const ObjectInfo& entry, Probe probe);
  void Finish();

  const EngineContext& ctx_;
  const Sweeper::Hooks& hooks_;
  const SweepOptions& options_;
  TripLog trips_;  // this sweep's own: trimmed after every instance, gone with it
  SweepCursor cursor_;
  SweepOutcome outcome_;
  Status first_error_;
  std::vector<Leaver> leavers_;
  std::vector<std::string> finished_;  // once-mode instances that can never trip again
};

void SweepRun::LoadCursor() {
  auto body = ctx_.store.Get(SweepCursorKey(ctx_.layout.state_prefix()));
  if (!body.ok()) {
    if (!body.status().IsNotFound()) Fail(body.status().WithContext("reading the sweep cursor"));
    return;
  }
  auto parsed = ParseSweepCursor(*body);
  if (!parsed.ok()) {
    ctx_.log.Warn("sweep cursor unreadable; starting a new lap",
                  {{"error", parsed.status().ToString()}});
    return;
  }
  cursor_ = std::move(*parsed);
}

// Instances that left the index at least leave_recheck_after_ms ago: an
// arrival that read the index just before its entry was deleted (or trusted
// its cache of it) has written its marker by now. Anything newer than what
// the leaving sweep saw indexes the instance again.
void SweepRun::Recheck() {
  ListOptions list;
  list.prefix = SweepLeftPrefix(ctx_.layout.state_prefix());
  auto page = ctx_.store.List(list);
  if (!page.ok()) return Fail(page.status().WithContext("listing instances that left the index"));
  const TimeMs ripe = ctx_.clock.NowMs() - ctx_.options.leave_recheck_after_ms;
  for (const auto& obj : page->objects) {
    if (obj.last_modified > ripe || DeadlineReached()) continue;
    auto body = ctx_.store.Get(obj.key);
    if (!body.ok()) {
      if (!body.status().IsNotFound()) Fail(body.status());  // NotFound: another sweeper did it
      continue;
    }
    auto leavers = ParseLeft(*body);
    if (!leavers.ok()) {
      ctx_.log.Warn("unreadable list of instances that left the index; deleted",
                    {{"key", obj.key}, {"error", leavers.status().ToString()}});
      Fail(ctx_.store.Delete(obj.key));
      continue;
    }
    bool all = true;
    for (size_t from = 0; from < leavers->size() && all; from += Batch()) {
      if (DeadlineReached()) {
        all = false;
        break;
      }
      size_t n = std::min(Batch(), leavers->size() - from);
      std::vector<std::optional<StateKey>> keys(n);
      std::vector<Probe> probes(n);
      for (size_t i = 0; i < n; ++i) keys[i] = ctx_.layout.Decode((*leavers)[from + i].open_key);
      ParallelFor(n, Batch(), [&](size_t i) {
        if (keys[i] && keys[i]->kind == StateKeyKind::kOpen) {
          probes[i] = ProbeInstance(ctx_, keys[i]->barrier, keys[i]->instance);
        }
      });
      for (size_t i = 0; i < n; ++i) {
        if (!keys[i] || keys[i]->kind != StateKeyKind::kOpen) continue;
        const Probe& p = probes[i];
        if (!p.status.ok()) {
          Fail(p.status);
          all = false;
          continue;
        }
        ++outcome_.rechecked;
        if (p.idle() && p.newest <= (*leavers)[from + i].newest) continue;
        Status s = ctx_.store.PutIfAbsent((*leavers)[from + i].open_key, kFormatBody);
        if (!s.ok() && !s.IsAlreadyExists()) {
          Fail(s);
          all = false;
          continue;
        }
        ++outcome_.reindexed;
        ctx_.log.Info("instance indexed again: an arrival came in while it left the index",
                      {{"barrier", keys[i]->barrier}, {"instance", keys[i]->instance}});
      }
    }
    if (all) Fail(ctx_.store.Delete(obj.key));
  }
}

void SweepRun::IndexKeptInstances(std::vector<ObjectInfo>* entries) {
  // The listing is in key order (a LIST's): looked up where it stands.
  const size_t listed = entries->size();
  auto present = [&](const std::string& key) {
    auto end = entries->begin() + static_cast<std::ptrdiff_t>(listed);
    auto it = std::lower_bound(entries->begin(), end, key,
                               [](const ObjectInfo& e, const std::string& k) { return e.key < k; });
    return it != end && it->key == key;
  };
  bool added = false;
  for (const BarrierSpec& spec : ctx_.config.barriers) {
    if (!SweeperKeepsIndexed(spec)) continue;
    std::string key = ctx_.layout.Encode(StateKey::Open(spec.name, InstanceName({})));
    if (present(key)) continue;
    Status s = ctx_.store.PutIfAbsent(key, kFormatBody);
    if (!s.ok() && !s.IsAlreadyExists()) {
      Fail(s.WithContext("indexing " + spec.name));
      continue;
    }
    // Due now: visited this sweep, first in line after what was due before.
    // Not "fresh" by a made-up store time: that would move the mark of what
    // was indexed since the last look past entries arrivals wrote after this
    // sweep's LIST of the index, and the next sweep would not see them as new.
    entries->push_back({key, 0, 0});
    cursor_.due[key] = ctx_.clock.NowMs();
    added = true;
  }
  if (added) {
    std::sort(entries->begin(), entries->end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  }
}

void SweepRun::BeginLap() {
  TimeMs now = ctx_.clock.NowMs();
  cursor_.after.clear();
  cursor_.lap_started = now;
  cursor_.compacting =
      options_.compact_every_ms > 0 && now - cursor_.compacted_lap >= options_.compact_every_ms;
  if (cursor_.compacting) {
    cursor_.compacted_lap = now;
    cursor_.expire_pending = true;
  }
}

bool SweepRun::Visit(const ObjectInfo& entry, Probe probe) {
  auto k = ctx_.layout.Decode(entry.key);
  if (!k || k->kind != StateKeyKind::kOpen) return true;
  const BarrierSpec* spec = ctx_.config.Find(k->barrier);
  if (spec == nullptr) {
    ctx_.log.Warn("open instance of a barrier that is not configured; left alone",
                  {{"barrier", k->barrier}, {"instance", k->instance}});
    return true;
  }
  auto bindings = ParseInstanceName(k->instance, spec->variables);
  if (!bindings) {
    ctx_.log.Warn("open instance name does not fit the barrier's variables; left alone",
                  {{"barrier", k->barrier}, {"instance", k->instance}});
    return true;
  }
  const TimeMs now = ctx_.clock.NowMs();
  auto error = [&](const Status& s) {
    ctx_.log.Error("sweeping instance failed",
                   {{"barrier", k->barrier}, {"instance", k->instance}, {"error", s.ToString()}});
    Fail(s);
    cursor_.due[entry.key] = now;  // first in line next time
  };
  if (!probe.status.ok()) {
    ++outcome_.instances;
    error(probe.status);
    return true;
  }
  const BarrierShape& shape = hooks_.shape_of(*spec);
  const bool compact = options_.compact || cursor_.compacting;
  // An instance needing no evaluation is compacted from its probe's listing.
  auto compact_listed = [&] {
    auto deleted = CompactListed(ctx_, probe.trips, probe.hints);
    if (deleted.ok())
      outcome_.compacted += *deleted;
    else
      error(deleted.status());
  };
  const bool once_done = !probe.truncated && spec->mode == BarrierMode::kOnce && probe.any_record &&
                         !probe.redrive_due;
  if (probe.idle() || once_done) {
    ++outcome_.instances;
    if (probe.idle()) ++outcome_.idle;
    cursor_.due.erase(entry.key);
    if (compact) compact_listed();
    if (once_done) {
      // A finished once-mode instance can never trip again.
      finished_.push_back(entry.key);
      return true;
    }
    // Idle for longer than any process trusts its cache of "indexed" (plus
    // the skew of both clocks): every arrival from now on reads the index.
    // Not an instance the sweeper keeps: its arrivals never read the index.
    TimeMs newest = std::max(probe.newest, entry.last_modified);
    if (!SweeperKeepsIndexed(*spec) &&
        newest < now - ctx_.options.open_cache_ttl_ms - 2 * ctx_.options.max_clock_skew_ms) {
      leavers_.push_back({entry.key, newest});
    }
    return true;
  }
  if (NothingDue(*spec, shape, probe, now)) {
    // Pending, but nothing can happen before it is due: no evaluation (it
    // would list t/ to find what the probe already shows). Visited again
    // first thing once due, and on every lap of the rotation meanwhile.
    ++outcome_.instances;
    ++outcome_.waiting;
    if (compact) compact_listed();
    if (auto due = DueAt(*spec, probe))
      cursor_.due[entry.key] = *due;
    else
      cursor_.due.erase(entry.key);
    return true;
  }
  if (DeadlineReached()) return false;  // an evaluation is more requests: next sweep
  ++outcome_.instances;
  size_t trips_before = outcome_.trips.size();
  InstanceEvaluator evaluator(ctx_, trips_, shape, k->instance, *bindings, "sweep",
                              hooks_.claim_token);
  InstanceEvaluator::RunOptions run;
  run.sweeping = true;
  if (!probe.truncated) {
    run.markers = probe.markers;
    run.markers_listed_at = probe.listed_at;
  }
  Status s = evaluator.Run(std::move(run), &outcome_.trips);
  outcome_.trip_failures += evaluator.counts().trip_failures;
  trips_.Trim();
  if (s.ok() && compact) {
    auto deleted = probe.truncated ? CompactInstance(ctx_, shape, k->instance)
                                   : CompactListed(ctx_, probe.trips, probe.hints);
    if (deleted.ok())
      outcome_.compacted += *deleted;
    else
      s = deleted.status();
  }
  if (!s.ok()) {
    error(s);
    return true;
  }
  if (evaluator.finished()) {
    cursor_.due.erase(entry.key);
    finished_.push_back(entry.key);
    return true;
  }
  // What was pending before the visit: due again then. A visit that tripped
  // has changed what is pending: looked at again first thing next sweep.
  std::optional<TimeMs> due =
      outcome_.trips.size() > trips_before ? std::optional<TimeMs>(now) : DueAt(*spec, probe);
  // What was due is done with: a re-drive that failed (or another worker's)
  // is due again when its backoff says.
  if (due && *due <= now && evaluator.next_redrive_at()) due = evaluator.next_redrive_at();
  if (due)
    cursor_.due[entry.key] = *due;
  else
    cursor_.due.erase(entry.key);
  return true;
}

void SweepRun::Finish() {
  const std::string prefix = ctx_.layout.state_prefix();
  if (!leavers_.empty()) {
    // The list goes first: whatever happens next, the instances that leave
    // are looked at again.
    std::string token = hooks_.claim_token();
    std::replace(token.begin(), token.end(), '/', '_');
    std::string key = SweepLeftPrefix(prefix) + PadTime(ctx_.clock.NowMs()) + "-" + token;
    Status s = ctx_.store.Put(key, SerializeLeft(leavers_));
    if (s.ok()) {
      for (const auto& l : leavers_) finished_.push_back(l.open_key);
      outcome_.left = static_cast<int>(leavers_.size());
    } else {
      Fail(s.WithContext("writing the list of instances that leave the index"));
    }
  }
  if (!finished_.empty()) {
    Status s = ctx_.DeleteKeys(finished_);
    if (s.ok()) {
      outcome_.removed_from_index += static_cast<int>(finished_.size());
      for (const auto& key : finished_) hooks_.forget_indexed(key);
    } else {
      outcome_.left = 0;
      Fail(s);
    }
  }
  if (options_.compact || (cursor_.expire_pending && !DeadlineReached())) {
    bool all = false;
    auto expired = ExpireTombstones(ctx_, options_.deadline_ms, &all);
    if (expired.ok()) {
      outcome_.compacted += *expired;
      if (all) cursor_.expire_pending = false;
    } else {
      Fail(expired.status());
    }
  }
  Fail(ctx_.store.Put(SweepCursorKey(prefix), SerializeSweepCursor(cursor_))
           .WithContext("writing the sweep cursor"));
}

Result<SweepOutcome> SweepRun::Run() {
  LoadCursor();
  Recheck();
  auto entries = ListAll(ctx_.store, ctx_.layout.OpenPrefix());
  if (!entries.ok()) return entries.status();
  IndexKeptInstances(&*entries);
  const TimeMs now = ctx_.clock.NowMs();
  const size_t n = entries->size();
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < n; ++i) position[(*entries)[i].key] = i;
  for (auto it = cursor_.due.begin(); it != cursor_.due.end();) {
    it = position.count(it->first) ? std::next(it) : cursor_.due.erase(it);  // left the index
  }

  // The order of this sweep: what is due (earliest first), what was indexed
  // since the last look (oldest first), then the rotation from the cursor.
  enum class Part { kDue, kFresh, kRotation };
  std::vector<std::pair<size_t, Part>> order;
  std::vector<bool> queued(n, false);
  std::vector<std::pair<TimeMs, size_t>> due;
  for (const auto& [key, at] : cursor_.due) {
    if (at <= now) due.push_back({at, position[key]});
  }
  std::sort(due.begin(), due.end());
  for (const auto& [at, i] : due) {
    order.push_back({i, Part::kDue});
    queued[i] = true;
  }
  std::vector<size_t> fresh;
  for (size_t i = 0; i < n; ++i) {
    const ObjectInfo& e = (*entries)[i];
    if (!queued[i] &&
        std::tie(e.last_modified, e.key) > std::tie(cursor_.fresh_ms, cursor_.fresh_key)) {
      fresh.push_back(i);
    }
  }
  std::sort(fresh.begin(), fresh.end(), [&](size_t a, size_t b) {
    const ObjectInfo &x = (*entries)[a], &y = (*entries)[b];
    return std::tie(x.last_modified, x.key) < std::tie(y.last_modified, y.key);
  });
  for (size_t i : fresh) {
    order.push_back({i, Part::kFresh});
    queued[i] = true;
  }
  if (cursor_.lap_started == 0) BeginLap();
  size_t start = std::upper_bound(
                     entries->begin(), entries->end(), cursor_.after,
                     [](const std::string& after, const ObjectInfo& e) { return after < e.key; }) -
                 entries->begin();
  for (size_t j = 0; j < n; ++j) order.push_back({(start + j) % n, Part::kRotation});

  std::vector<bool> visited(n, false);
  size_t next = 0;
  while (next < order.size()) {
    if (DeadlineReached()) {
      outcome_.deadline_reached = true;
      break;
    }
    // The next batch: entries not visited yet, each probed once, at once.
    std::vector<size_t> batch;          // entries
    std::map<size_t, size_t> probe_of;  // entry -> its probe in `batch`
    size_t scan = next;
    for (; scan < order.size() && batch.size() < Batch(); ++scan) {
      size_t i = order[scan].first;
      if (!visited[i] && probe_of.emplace(i, batch.size()).second) batch.push_back(i);
    }
    std::vector<Probe> probes(batch.size());
    const TimeMs batch_at = ctx_.clock.NowMs();  // here: the probes run on other threads
    ParallelFor(batch.size(), Batch(), [&](size_t b) {
      const ObjectInfo& e = (*entries)[batch[b]];
      auto k = ctx_.layout.Decode(e.key);
      if (k && k->kind == StateKeyKind::kOpen && ctx_.config.Find(k->barrier) != nullptr) {
        probes[b] = ProbeInstance(ctx_, k->barrier, k->instance);
      }
      probes[b].listed_at = batch_at;
    });
    // Results in order, so the cursor only moves past what was visited.
    bool stopped = false;
    for (; next < scan; ++next) {
      auto [i, part] = order[next];
      if (!visited[i]) {
        if (!Visit((*entries)[i], std::move(probes[probe_of.at(i)]))) {
          outcome_.deadline_reached = stopped = true;
          break;
        }
        visited[i] = true;
        if (part == Part::kFresh) {
          cursor_.fresh_ms = (*entries)[i].last_modified;
          cursor_.fresh_key = (*entries)[i].key;
        }
      }
      if (part == Part::kRotation) {
        cursor_.after = (*entries)[i].key;
        if (i + 1 == n) {  // the whole index went round: a new lap
          ++outcome_.laps;
          BeginLap();
        }
      }
    }
    if (stopped) break;
  }
  for (size_t i = 0; i < n; ++i) outcome_.not_visited += visited[i] ? 0 : 1;
  Finish();
  if (!first_error_.ok()) return first_error_;
  return outcome_;
}

}  // namespace

Result<SweepOutcome> Sweeper::Run(const SweepOptions& options) {
  SweepRun run(ctx_, hooks_, options);
  return run.Run();
}

}  // namespace eb
