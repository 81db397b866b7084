#include "core/engine.h"

#include "core/engine_eval.h"

namespace eb {

Engine::Engine(const Config& config, ObjectStore& store, ActionRunner& actions, Clock& clock,
               Logger& log, EngineOptions options)
    : config_(config),
      store_(store),
      actions_(actions),
      clock_(clock),
      log_(log),
      options_(std::move(options)),
      layout_(config.state.prefix) {}

Engine::~Engine() = default;

const ShardPlan& Engine::PlanFor(const BarrierSpec& spec) {
  auto it = plans_.find(spec.name);
  if (it == plans_.end()) it = plans_.emplace(spec.name, ShardPlan(spec, options_.shard_size)).first;
  return it->second;
}

const std::set<std::string>& Engine::MemberTagsOf(const BarrierSpec& spec) {
  auto it = member_tag_sets_.find(spec.name);
  if (it == member_tag_sets_.end()) {
    it = member_tag_sets_.emplace(spec.name, std::set<std::string>(spec.member_tags.begin(), spec.member_tags.end())).first;
  }
  return it->second;
}

std::string Engine::NextClaimToken() {
  return options_.worker_id + "/" + std::to_string(clock_.NowMs()) + "/" + std::to_string(++claims_);
}

std::vector<ArrivalMatch> Engine::Match(const Arrival& arrival, std::vector<IgnoredArrival>* ignored) const {
  std::vector<ArrivalMatch> matches;
  // Never count our own state objects: the function must not trigger itself.
  if (layout_.IsStateKey(arrival.key)) return matches;
  for (const BarrierSpec& spec : config_.barriers) {
    if (!spec.suffix.empty() && (arrival.key.size() < spec.suffix.size() ||
                                 arrival.key.compare(arrival.key.size() - spec.suffix.size(),
                                                     spec.suffix.size(), spec.suffix) != 0)) {
      continue;
    }
    if (spec.is_count()) {
      if (auto b = spec.prefix->Match(arrival.key)) {
        if (IsIgnored(spec, *spec.prefix, arrival, ignored)) continue;  // events, ignore, min_size
        matches.push_back({&spec, *b, InstanceName(*b), spec.prefix->text(), MemberTag(arrival.key)});
      }
      continue;
    }
    for (size_t i = 0; i < spec.members.size(); ++i) {
      if (auto b = spec.members[i].Match(arrival.key)) {
        if (IsIgnored(spec, spec.members[i], arrival, ignored)) break;  // events, ignore, min_size
        matches.push_back({&spec, *b, InstanceName(*b), spec.members[i].text(), spec.member_tags[i]});
        break;  // the configuration guarantees at most one member per barrier
      }
    }
  }
  return matches;
}

Status Engine::EnsureOpenIndexed(const std::string& barrier, const std::string& instance) {
  std::string key = layout_.Encode({StateKeyKind::kOpen, barrier, instance});
  TimeMs now = clock_.NowMs();
  if (auto it = open_indexed_.find(key); it != open_indexed_.end() && now - it->second < options_.open_cache_ttl_ms) {
    return Status::Ok();
  }
  Status s = RetryConflicts(options_.conflict_retries, [&] { return store_.PutIfAbsent(key, ""); });
  if (!s.ok() && !s.IsAlreadyExists()) return s;
  open_indexed_[key] = now;
  return Status::Ok();
}

void Engine::TrimCaches() {
  if (trip_cache_.size() > kMaxCachedRecords) trip_cache_.clear();
  if (record_ids_cache_.size() > kMaxCachedRecords) record_ids_cache_.clear();
  if (window_cache_.size() > kMaxCachedCheckpoints) window_cache_.clear();
}

Result<ArrivalOutcome> Engine::OnArrival(const Arrival& arrival) {
  TrimCaches();
  ArrivalOutcome outcome;
  std::vector<ArrivalMatch> matches = Match(arrival, &outcome.ignored_by);
  if (matches.empty()) {
    outcome.ignored = true;
    return outcome;
  }
  std::string id = ArrivalId(arrival);
  for (const ArrivalMatch& m : matches) {
    const BarrierSpec& spec = *m.barrier;
    StateKey marker{StateKeyKind::kArrival, spec.name, m.instance, m.tag, id};
    marker.shard = PlanFor(spec).ShardOf(m.tag);
    ConsumedArrival body{id, m.member, m.tag, arrival};
    // Index first: every marker that exists is reachable by the sweeper, even
    // if this invocation dies right after writing it and is never retried.
    EB_RETURN_IF_ERROR(EnsureOpenIndexed(spec.name, m.instance));
    // Promise 2: the marker id comes from the event, so every copy of an event
    // maps to one marker; PUT-if-absent makes a duplicate a no-op.
    Status s = RetryConflicts(options_.conflict_retries,
                              [&] { return store_.PutIfAbsent(layout_.Encode(marker), SerializeMarker(body)); });
    bool duplicate = s.IsAlreadyExists();
    if (!s.ok() && !duplicate) return s.WithContext("recording arrival " + arrival.key);
    (duplicate ? outcome.duplicates : outcome.counted)++;
    // A wide barrier's arrival lists only its own shard (promise 5).
    auto markers = ListAll(store_, marker.shard < 0 ? layout_.ArrivalPrefix(spec.name, m.instance)
                                                    : layout_.ArrivalShardPrefix(spec.name, m.instance, marker.shard));
    if (!markers.ok()) return markers.status();
    Evaluator evaluator(*this, spec, m.instance, m.bindings, id);
    evaluator.set_own_marker(std::move(body));
    if (marker.shard >= 0) {
      EB_RETURN_IF_ERROR(evaluator.RunFromShard(marker.shard, std::move(*markers), duplicate, &outcome.trips));
      continue;
    }
    Evaluator::RunOptions options;
    options.markers = std::move(*markers);
    options.always_load_trips = duplicate;
    EB_RETURN_IF_ERROR(evaluator.Run(std::move(options), &outcome.trips));
  }
  return outcome;
}

Result<SweepOutcome> Engine::Sweep(bool compact) {
  TrimCaches();
  SweepOutcome outcome;
  auto entries = ListAll(store_, layout_.OpenPrefix());
  if (!entries.ok()) return entries.status();
  Status first_error;
  for (const auto& entry : *entries) {
    auto k = layout_.Decode(entry.key);
    if (!k || k->kind != StateKeyKind::kOpen) continue;
    const BarrierSpec* spec = config_.Find(k->barrier);
    if (spec == nullptr) {
      log_.Warn("open instance of a barrier that is not configured; left alone",
                {{"barrier", k->barrier}, {"instance", k->instance}});
      continue;
    }
    auto bindings = ParseInstanceName(k->instance, spec->variables);
    if (!bindings) {
      log_.Warn("open instance name does not fit the barrier's variables; left alone",
                {{"barrier", k->barrier}, {"instance", k->instance}});
      continue;
    }
    ++outcome.instances;
    Evaluator evaluator(*this, *spec, k->instance, *bindings, "sweep");
    Evaluator::RunOptions options;
    options.sweeping = true;
    Status s = evaluator.Run(std::move(options), &outcome.trips);
    if (s.ok() && compact) {
      auto deleted = evaluator.Compact();
      if (deleted.ok()) outcome.compacted += *deleted;
      else s = deleted.status();
    }
    if (s.ok() && evaluator.finished()) {
      // A finished once-mode instance can never trip again: drop it from the index.
      s = store_.Delete(entry.key);
      if (s.ok()) {
        ++outcome.removed_from_index;
        open_indexed_.erase(entry.key);
      }
    }
    if (!s.ok()) {
      log_.Error("sweeping instance failed", {{"barrier", k->barrier}, {"instance", k->instance},
                                              {"error", s.ToString()}});
      if (first_error.ok()) first_error = s;
    }
  }
  if (!first_error.ok()) return first_error;
  return outcome;
}

}  // namespace eb
