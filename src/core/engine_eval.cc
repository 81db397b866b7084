// The state protocol for one barrier instance. docs/PROTOCOL.md explains why
// each step is there; the comments here point at the promise a step keeps.
#include "core/engine_eval.h"

#include <algorithm>
#include <map>

namespace eb {

namespace {
constexpr int kMaxRounds = 64;
constexpr size_t kMaxDeleteBatch = 1000;  // S3 DeleteObjects takes at most 1000 keys
}  // namespace

Engine::Evaluator::Evaluator(Engine& engine, const BarrierSpec& spec, std::string instance,
                             Bindings bindings, std::string trigger)
    : e_(engine),
      spec_(spec),
      instance_(std::move(instance)),
      bindings_(std::move(bindings)),
      trigger_(std::move(trigger)),
      member_tags_(engine.MemberTagsOf(spec)),
      plan_(engine.PlanFor(spec)) {
  arrival_prefix_ = e_.layout_.ArrivalPrefix(spec_.name, instance_);
}

bool Engine::Evaluator::TripView::IsConsumed(const std::string& id) const {
  if (latest == nullptr) return false;
  return (recent_ids != nullptr && recent_ids->count(id) > 0) ||
         (checkpoint_ids != nullptr && checkpoint_ids->count(id) > 0);
}

Status Engine::Evaluator::RetryPut(const std::string& key, const std::string& body, bool if_absent) {
  return RetryConflicts(e_.options_.conflict_retries, [&] {
    return if_absent ? e_.store_.PutIfAbsent(key, body) : e_.store_.Put(key, body);
  });
}

Status Engine::Evaluator::DeleteKeys(const std::vector<std::string>& keys) {
  for (size_t i = 0; i < keys.size(); i += kMaxDeleteBatch) {
    std::vector<std::string> batch(keys.begin() + i, keys.begin() + std::min(keys.size(), i + kMaxDeleteBatch));
    EB_RETURN_IF_ERROR(RetryConflicts(e_.options_.conflict_retries, [&] { return e_.store_.DeleteMany(batch); }));
  }
  return Status::Ok();
}

Result<int64_t> Engine::Evaluator::DoneHint() {
  std::string prefix = e_.layout_.InstancePrefix(spec_.name, instance_);
  if (auto it = e_.done_hint_.find(prefix); it != e_.done_hint_.end()) return it->second;
  StateKey head{StateKeyKind::kHead, spec_.name, instance_};
  auto body = e_.store_.Get(e_.layout_.Encode(head));
  int64_t hint = 0;
  if (body.ok()) {
    hint = std::atoll(body->c_str());
  } else if (!body.status().IsNotFound()) {
    return body.status();
  }
  e_.done_hint_[prefix] = hint;
  return hint;
}

Result<const TripRecord*> Engine::Evaluator::ReadTrip(int64_t generation) {
  std::string key = e_.layout_.Encode({StateKeyKind::kTrip, spec_.name, instance_, "", "", generation});
  if (auto it = e_.trip_cache_.find(key); it != e_.trip_cache_.end()) return &it->second;
  auto body = e_.store_.Get(key);
  if (!body.ok()) return body.status().WithContext("reading trip record " + key);
  auto record = ParseTrip(*body);
  if (!record.ok()) return record.status().WithContext(key);
  // Records are immutable once written: caching them is always safe.
  auto [it, inserted] = e_.trip_cache_.emplace(key, std::move(*record));
  return &it->second;
}

Result<const Engine::WindowCheckpoint*> Engine::Evaluator::ReadWindow(const std::string& key) {
  if (auto it = e_.window_cache_.find(key); it != e_.window_cache_.end()) return &it->second;
  auto body = e_.store_.Get(key);
  if (!body.ok()) return body.status().WithContext("reading window checkpoint " + key);
  auto window = ParseWindow(*body);
  if (!window.ok()) return window.status().WithContext(key);
  WindowCheckpoint checkpoint;
  for (const auto& w : *window) checkpoint.ids.insert(w.ids.begin(), w.ids.end());
  checkpoint.entries = std::move(*window);
  auto [it, inserted] = e_.window_cache_.emplace(key, std::move(checkpoint));  // immutable: cache forever
  return &it->second;
}

Status Engine::Evaluator::BuildWindow(const TripView& view, TripRecord* record) {
  if (view.latest == nullptr) return Status::Ok();
  TimeMs horizon = record->claimed_at - e_.config_.state.retention_ms;
  std::vector<ConsumedWindowEntry> carried;
  std::vector<std::string> latest_ids;
  for (const auto& c : view.latest->arrivals) latest_ids.push_back(c.id);
  carried.push_back({view.latest->generation, view.latest->claimed_at, std::move(latest_ids)});
  for (const auto& w : view.latest->window) {
    if (w.claimed_at >= horizon) carried.push_back(w);
  }
  if (record->generation % e_.options_.checkpoint_every != 0) {
    record->window = std::move(carried);
    record->window_checkpoint = view.latest->window_checkpoint;
    return Status::Ok();
  }
  // Fold the checkpoint in and start a new one: records stay small however
  // long the window is, and a reader fetches each checkpoint once.
  if (!view.latest->window_checkpoint.empty()) {
    auto older = ReadWindow(view.latest->window_checkpoint);
    if (!older.ok()) return older.status();
    for (const auto& w : (*older)->entries) {
      if (w.claimed_at >= horizon) carried.push_back(w);
    }
  }
  StateKey key{StateKeyKind::kWindow, spec_.name, instance_, "", EncodeSegment(record->claimed_by), record->generation};
  std::string encoded = e_.layout_.Encode(key);
  EB_RETURN_IF_ERROR(RetryPut(encoded, SerializeWindow(carried), /*if_absent=*/false));
  WindowCheckpoint checkpoint;
  for (const auto& w : carried) checkpoint.ids.insert(w.ids.begin(), w.ids.end());
  checkpoint.entries = std::move(carried);
  e_.window_cache_[encoded] = std::move(checkpoint);
  record->window.clear();
  record->window_checkpoint = encoded;
  return Status::Ok();
}

Result<Engine::Evaluator::TripView> Engine::Evaluator::LoadTrips() {
  auto hint = DoneHint();
  if (!hint.ok()) return hint.status();
  std::string prefix = e_.layout_.TripPrefix(spec_.name, instance_);
  std::string start_after;
  if (*hint > 0) {
    start_after = e_.layout_.Encode({StateKeyKind::kTripDone, spec_.name, instance_, "", "", *hint});
  }
  auto listed = ListAll(e_.store_, prefix, start_after);
  if (!listed.ok()) return listed.status();

  struct GenState {
    bool record = false, done = false;
    int attempts = 0;
    TimeMs last_activity = 0;
  };
  std::map<int64_t, GenState> gens;
  for (const auto& obj : *listed) {
    auto k = e_.layout_.Decode(obj.key);
    if (!k) continue;
    GenState& g = gens[k->generation];
    g.last_activity = std::max(g.last_activity, obj.last_modified);
    if (k->kind == StateKeyKind::kTrip) g.record = true;
    if (k->kind == StateKeyKind::kTripDone) g.done = true;
    if (k->kind == StateKeyKind::kTripAttempt) g.attempts = std::max(g.attempts, k->attempt);
  }
  TripView view;
  view.last_generation = *hint;
  view.done_upto = *hint;
  for (const auto& [gen, g] : gens) {
    if (!g.record) continue;
    view.last_generation = std::max(view.last_generation, gen);
    if (g.done && gen == view.done_upto + 1) view.done_upto = gen;
    if (!g.done) view.undone.push_back({gen, g.attempts, g.last_activity});
  }
  if (view.last_generation > 0) {
    auto latest = ReadTrip(view.last_generation);
    if (!latest.ok()) return latest.status();
    view.latest = *latest;
    std::string key = e_.layout_.Encode({StateKeyKind::kTrip, spec_.name, instance_, "", "", view.last_generation});
    auto [ids, absent] = e_.record_ids_cache_.try_emplace(key);  // immutable record: cache forever
    if (absent) {
      for (const auto& c : view.latest->arrivals) ids->second.insert(c.id);
      for (const auto& w : view.latest->window) ids->second.insert(w.ids.begin(), w.ids.end());
    }
    view.recent_ids = &ids->second;
    if (!view.latest->window_checkpoint.empty()) {
      auto older = ReadWindow(view.latest->window_checkpoint);
      if (!older.ok()) return older.status();
      view.checkpoint_ids = &(*older)->ids;
    }
  }
  return view;
}

// Promise 3 (crash safety) and 4 (actions at least once): a trip without .done
// is finished by whoever re-claims it with the next attempt marker, once its
// lease has run out, or at once by a redelivery of the event that claimed it.
Status Engine::Evaluator::RedriveEligible(const TripView& view, bool may_resume,
                                          std::vector<TripSummary>* trips, bool* any) {
  TimeMs now = e_.clock_.NowMs();
  for (const Undone& u : view.undone) {
    TimeMs idle = now - u.last_activity;
    bool lease_over = idle >= e_.config_.state.lease_ms;
    if (!lease_over && !(may_resume && idle >= e_.options_.resume_grace_ms)) continue;
    auto record = ReadTrip(u.generation);
    if (!record.ok()) return record.status();
    bool own_event = (*record)->trigger == trigger_ && trigger_ != "sweep";
    if (!lease_over && !own_event) continue;
    StateKey attempt{StateKeyKind::kTripAttempt, spec_.name, instance_, "", "", u.generation, u.attempts + 1};
    Status s = RetryPut(e_.layout_.Encode(attempt), e_.options_.worker_id, /*if_absent=*/true);
    if (s.IsAlreadyExists()) continue;  // another re-driver won this attempt
    EB_RETURN_IF_ERROR(s);
    e_.log_.Warn("re-driving unfinished trip",
                 {{"barrier", spec_.name}, {"instance", instance_},
                  {"generation", std::to_string(u.generation)}, {"attempt", std::to_string(u.attempts + 1)}});
    EB_RETURN_IF_ERROR(Finish(**record, view.done_upto, /*redriven=*/true, trips));
    *any = true;
  }
  return Status::Ok();
}

// Promise 2: a stale duplicate may re-create a/<id> after its arrival was
// consumed and deleted; its id is in the consumed window, so it is never a
// candidate (and is deleted when the next generation is claimed).
std::vector<Engine::Evaluator::Candidate> Engine::Evaluator::Unconsumed(
    const std::vector<ObjectInfo>& markers, const TripView& view, std::vector<std::string>* stale) const {
  std::vector<Candidate> out;
  out.reserve(markers.size());
  for (const auto& obj : markers) {
    // Markers share the listed prefix: parse only "[<shard>/]<tag>.<id>" after it.
    if (obj.key.compare(0, arrival_prefix_.size(), arrival_prefix_) != 0) continue;
    StateKey k{StateKeyKind::kArrival, spec_.name, instance_};
    if (!ParseArrivalName(std::string_view(obj.key).substr(arrival_prefix_.size()), &k)) continue;
    if (view.IsConsumed(k.id)) {
      if (stale != nullptr) stale->push_back(obj.key);
      continue;
    }
    out.push_back({obj, std::move(k)});
  }
  return out;
}

bool Engine::Evaluator::Covers(const std::vector<Candidate>& candidates) const {
  if (spec_.is_count()) {
    std::set<std::string> tags;
    for (const auto& c : candidates) tags.insert(c.key.tag);
    return tags.size() >= static_cast<size_t>(spec_.count);
  }
  if (candidates.size() < member_tags_.size()) return false;
  size_t found = 0;
  std::set<std::string> seen;
  for (const auto& c : candidates) {
    if (member_tags_.count(c.key.tag) && seen.insert(c.key.tag).second) ++found;
  }
  return found == member_tags_.size();
}

std::vector<std::string> Engine::Evaluator::Missing(const std::vector<Candidate>& candidates) const {
  std::set<std::string> tags;
  for (const auto& c : candidates) tags.insert(c.key.tag);
  std::vector<std::string> missing;
  if (spec_.is_count()) {
    if (tags.size() < static_cast<size_t>(spec_.count)) {
      missing.push_back(std::to_string(spec_.count - tags.size()) + " more key(s) under " +
                        spec_.prefix->Render(bindings_));
    }
    return missing;
  }
  for (size_t i = 0; i < spec_.members.size(); ++i) {
    if (!tags.count(spec_.member_tags[i])) missing.push_back(spec_.members[i].Render(bindings_));
  }
  return missing;
}

Result<Engine::Evaluator::ClaimOutcome> Engine::Evaluator::Claim(
    const TripView& view, const std::vector<Candidate>& candidates, TripStatus status,
    std::vector<std::string> missing, TripRecord* claimed) {
  TripRecord record;
  record.barrier = spec_.name;
  record.instance = instance_;
  record.bindings = bindings_;
  record.generation = view.last_generation + 1;
  record.status = status;
  record.claimed_at = e_.clock_.NowMs();
  record.claimed_by = e_.NextClaimToken();
  record.trigger = trigger_;
  record.missing = std::move(missing);
  record.first_arrival_at = candidates.empty() ? 0 : candidates.front().info.last_modified;
  for (const auto& c : candidates) {
    record.first_arrival_at = std::min(record.first_arrival_at, c.info.last_modified);
    if (own_marker_ && own_marker_->id == c.key.id && own_marker_->tag == c.key.tag) {
      record.arrivals.push_back(*own_marker_);
      continue;
    }
    auto body = e_.store_.Get(c.info.key);
    if (!body.ok()) {
      // Deleted by a concurrent winner between our LIST and this GET: look again.
      if (body.status().IsNotFound()) return ClaimOutcome::kRetry;
      return body.status();
    }
    auto marker = ParseMarker(*body);
    if (!marker.ok()) return marker.status().WithContext(c.info.key);
    marker->tag = c.key.tag;
    record.arrivals.push_back(std::move(*marker));
  }
  EB_RETURN_IF_ERROR(BuildWindow(view, &record));
  std::string key = e_.layout_.Encode({StateKeyKind::kTrip, spec_.name, instance_, "", "", record.generation});
  // Promise 1: the claim is PUT-if-absent, so exactly one claimant wins a generation.
  Status s = RetryPut(key, SerializeTrip(record), /*if_absent=*/true);
  if (s.IsAlreadyExists()) {
    // Lost, or our own write landed and only its answer was lost: the record says which.
    e_.trip_cache_.erase(key);
    e_.record_ids_cache_.erase(key);
    auto winner = ReadTrip(record.generation);
    if (!winner.ok()) return winner.status();
    if ((*winner)->claimed_by != record.claimed_by) return ClaimOutcome::kLost;
  } else if (!s.ok()) {
    return s;
  }
  e_.trip_cache_[key] = record;
  *claimed = std::move(record);
  return ClaimOutcome::kWon;
}

Status Engine::Evaluator::Finish(const TripRecord& record, int64_t done_upto, bool redriven,
                                 std::vector<TripSummary>* trips) {
  const auto& actions = record.status == TripStatus::kComplete ? spec_.on_complete : spec_.on_timeout;
  DoneRecord done_body{e_.options_.worker_id, 0, redriven, {}};
  for (const auto& action : actions) {
    ActionReport report;
    Status s = e_.actions_.RunReporting(action, record, &report);
    if (!s.ok()) {
      e_.log_.Error("action failed; the trip stays unfinished and is re-driven",
                    {{"barrier", spec_.name}, {"instance", instance_},
                     {"generation", std::to_string(record.generation)}, {"action", action.type},
                     {"error", s.ToString()}});
      return s.WithContext("action " + action.type + " for " + record.IdempotencyKey());
    }
    done_body.actions.push_back({action.type, std::move(report.fields)});
  }
  // Keeping reads bounded (promise 5): a cyclic instance deletes consumed
  // markers so a/ holds only the open generation. A once-mode instance never
  // trips again, so its markers may stay where they are.
  std::vector<std::string> keys;
  if (spec_.mode == BarrierMode::kCyclic) {
    for (const auto& c : record.arrivals) {
      StateKey marker{StateKeyKind::kArrival, spec_.name, instance_, c.tag, c.id};
      marker.shard = plan_.ShardOf(c.tag);
      keys.push_back(e_.layout_.Encode(marker));
    }
  }
  if (plan_.sharded()) {
    // This generation's hints are spent (late ones go at compaction).
    auto hints = ListAll(e_.store_, e_.layout_.HintGenerationPrefix(spec_.name, instance_, record.generation));
    if (!hints.ok()) return hints.status();
    for (const auto& h : *hints) keys.push_back(h.key);
  }
  EB_RETURN_IF_ERROR(DeleteKeys(keys));
  StateKey done{StateKeyKind::kTripDone, spec_.name, instance_, "", "", record.generation};
  done_body.at = e_.clock_.NowMs();
  Status s = RetryPut(e_.layout_.Encode(done), SerializeDone(done_body), /*if_absent=*/true);
  if (!s.ok() && !s.IsAlreadyExists()) return s;
  // Every 64th generation is enough: a cold reader then lists at most ~128
  // trip keys past the hint, one LIST page. A hint only: it may lag, and stays
  // a valid lower bound because it is written only when all earlier gens are done.
  if (record.generation == done_upto + 1 && record.generation % e_.options_.checkpoint_every == 0) {
    StateKey head{StateKeyKind::kHead, spec_.name, instance_};
    if (e_.store_.Put(e_.layout_.Encode(head), std::to_string(record.generation)).ok()) {
      e_.done_hint_[e_.layout_.InstancePrefix(spec_.name, instance_)] = record.generation;
    }
  }
  e_.log_.Info(record.status == TripStatus::kComplete ? "barrier tripped" : "barrier timed out",
               {{"barrier", spec_.name}, {"instance", instance_},
                {"generation", std::to_string(record.generation)},
                {"objects", std::to_string(record.arrivals.size())},
                {"redriven", redriven ? "true" : "false"}});
  trips->push_back({spec_.name, instance_, record.generation, record.status, redriven,
                    record.arrivals.size(), record.first_arrival_at, record.claimed_at});
  return Status::Ok();
}

std::map<int, int64_t> Engine::Evaluator::DistinctPerShard(const std::vector<Candidate>& candidates) const {
  std::vector<std::string> tags;
  tags.reserve(candidates.size());
  for (const auto& c : candidates) tags.push_back(c.key.tag);
  return plan_.DistinctPerShard(tags);
}

// A hint h/<gen>/<shard>.<count> says: after listing the shard, its writer
// read t/ and found <gen> - 1 the latest generation, and <count> distinct
// members of the shard present and not consumed by it. Markers leave a/ only
// once consumed, so the hint stays true until <gen> is claimed: hints of one
// generation never overstate it, and those of earlier generations are never
// listed again. Hints only decide when to run the full evaluation; the claim
// decides what trips.
Result<bool> Engine::Evaluator::PublishHints(int64_t generation, const std::map<int, int64_t>& counts) {
  for (const auto& [shard, count] : counts) {
    if (!plan_.ShouldPublish(shard, count)) continue;
    StateKey hint{StateKeyKind::kShardHint, spec_.name, instance_, "", "", generation};
    hint.shard = shard;
    hint.count = count;
    Status s = RetryPut(e_.layout_.Encode(hint), "", /*if_absent=*/true);
    if (!s.ok() && !s.IsAlreadyExists()) return s;
  }
  auto listed = ListAll(e_.store_, e_.layout_.HintGenerationPrefix(spec_.name, instance_, generation));
  if (!listed.ok()) return listed.status();
  std::map<int, int64_t> best;
  std::vector<StateKey> hints;
  for (const auto& obj : *listed) {
    auto k = e_.layout_.Decode(obj.key);
    if (!k || k->kind != StateKeyKind::kShardHint) continue;
    best[k->shard] = std::max(best[k->shard], k->count);
    hints.push_back(std::move(*k));
  }
  // A count latch hints every count: drop superseded ones (a lower count of a
  // shard that has a higher one, so the shard's best never drops) once they
  // outnumber the shards, keeping this listing to about one page.
  if (hints.size() > 2 * static_cast<size_t>(plan_.shards())) {
    std::vector<std::string> superseded;
    for (const auto& k : hints) {
      if (k.count < best[k.shard]) superseded.push_back(e_.layout_.Encode(k));
    }
    EB_RETURN_IF_ERROR(DeleteKeys(superseded));
  }
  return plan_.LooksComplete(best);
}

Status Engine::Evaluator::RunFromShard(int shard, std::vector<ObjectInfo> shard_markers, bool duplicate,
                                       std::vector<TripSummary>* trips) {
  // Cheap path: the shard cannot publish a hint even counting consumed markers.
  auto present = DistinctPerShard(Unconsumed(shard_markers, TripView{}, nullptr));
  if (!duplicate && !plan_.ShouldPublish(shard, present[shard])) return Status::Ok();
  // Read t/ after listing the shard: the hint is for the generation after the
  // latest one claimed by then, counting only what that one did not consume.
  auto view = LoadTrips();
  if (!view.ok()) return view.status();
  // A redelivery may have to finish what its first delivery began: its own
  // trip, or the hints of the generation after it (published after a trip),
  // and an unfinished trip may be due. The full evaluation does all of it.
  bool own_latest = view->latest != nullptr && view->latest->trigger == trigger_;
  if (duplicate && (own_latest || !view->undone.empty())) {
    RunOptions options;
    options.always_load_trips = true;
    return Run(std::move(options), trips);
  }
  if (spec_.mode == BarrierMode::kOnce && view->last_generation >= 1) {
    return view->undone.empty() ? Status::Ok() : Run({}, trips);  // may be due for a re-drive
  }
  auto unconsumed = DistinctPerShard(Unconsumed(shard_markers, *view, nullptr));
  if (!plan_.ShouldPublish(shard, unconsumed[shard])) return Status::Ok();
  auto all_hinted = PublishHints(view->last_generation + 1, {{shard, unconsumed[shard]}});
  if (!all_hinted.ok()) return all_hinted.status();
  if (!*all_hinted) return Status::Ok();
  return Run({}, trips);  // the authoritative evaluation: lists every shard, claims
}

Status Engine::Evaluator::Run(RunOptions options, std::vector<TripSummary>* trips) {
  std::optional<std::vector<ObjectInfo>> markers = std::move(options.markers);
  int64_t relisted_for_hints = -1;  // the generation whose hints made us list again
  for (int round = 0; round < kMaxRounds; ++round) {
    if (!markers) {
      auto listed = ListAll(e_.store_, e_.layout_.ArrivalPrefix(spec_.name, instance_));
      if (!listed.ok()) return listed.status();
      markers = std::move(*listed);
    }
    open_markers_ = markers->size();
    // Cheap path: if even every marker present cannot complete a generation,
    // no trip is possible and no trip record needs reading.
    bool may_resume = round == 0 && options.always_load_trips;
    // Not for a sharded barrier: it reaches Run only when hints or a sweep
    // call for it, and after a trip it must publish the next generation's
    // hints (see PublishHints below).
    if (!plan_.sharded() && !Covers(Unconsumed(*markers, TripView{}, nullptr)) && !may_resume &&
        !options.sweeping) {
      return Status::Ok();
    }
    auto view = LoadTrips();
    if (!view.ok()) return view.status();
    bool redriven = false;
    EB_RETURN_IF_ERROR(RedriveEligible(*view, may_resume, trips, &redriven));
    if (redriven) {  // markers deleted and generations finished: look again
      markers.reset();
      continue;
    }
    if (spec_.mode == BarrierMode::kOnce && view->last_generation >= 1) {
      finished_ = view->undone.empty();
      return Status::Ok();
    }
    std::vector<std::string> stale;
    std::vector<Candidate> candidates = Unconsumed(*markers, *view, &stale);
    bool complete = Covers(candidates);
    bool overdue = false;
    if (!complete && options.sweeping && spec_.timeout_ms && !candidates.empty()) {
      TimeMs first = candidates.front().info.last_modified;
      for (const auto& c : candidates) first = std::min(first, c.info.last_modified);
      overdue = e_.clock_.NowMs() - first >= *spec_.timeout_ms;
    }
    if (!complete && !overdue) {
      if (!plan_.sharded()) return Status::Ok();
      // Promise 1 in a sharded barrier: an arrival that completed its shard
      // while the previous generation was still unclaimed wrote its hint for
      // that generation; whoever evaluates after the claim (this listing)
      // publishes the hints of the generation now open. If every shard is
      // then hinted, a concurrent arrival may have hinted after our LIST of
      // markers and before our LIST of hints, and may not have seen our
      // hints: list the markers once more so one of us evaluates its marker.
      int64_t next = view->last_generation + 1;
      auto all_hinted = PublishHints(next, DistinctPerShard(candidates));
      if (!all_hinted.ok()) return all_hinted.status();
      if (!*all_hinted || relisted_for_hints == next) return Status::Ok();
      relisted_for_hints = next;
      markers.reset();
      continue;
    }
    if (!stale.empty()) EB_RETURN_IF_ERROR(DeleteKeys(stale));
    TripRecord claimed;
    auto outcome = Claim(*view, candidates, complete ? TripStatus::kComplete : TripStatus::kTimeout,
                         complete ? std::vector<std::string>{} : Missing(candidates), &claimed);
    if (!outcome.ok()) return outcome.status();
    if (*outcome != ClaimOutcome::kWon) {
      markers.reset();  // lost the claim, or a marker vanished: look again
      continue;
    }
    EB_RETURN_IF_ERROR(Finish(claimed, view->done_upto, /*redriven=*/false, trips));
    if (spec_.mode == BarrierMode::kOnce) {
      finished_ = true;
      return Status::Ok();
    }
    if (plan_.sharded()) {
      markers.reset();  // list again: the next generation's hints are ours to publish
      continue;
    }
    // Cyclic: what this trip did not consume may already complete the next
    // generation. Arrivals newer than our listing evaluate themselves.
    std::set<std::string> used;
    for (const auto& c : claimed.arrivals) used.insert(c.id);
    std::vector<ObjectInfo> rest;
    for (const auto& c : candidates) {
      if (!used.count(c.key.id)) rest.push_back(c.info);
    }
    markers = std::move(rest);
  }
  return Status::Internal("barrier " + spec_.name + "/" + instance_ + ": evaluation did not settle after " +
                          std::to_string(kMaxRounds) + " rounds");
}

Result<int> Engine::Evaluator::Compact() {
  TimeMs cutoff = e_.clock_.NowMs() - e_.config_.state.retention_ms;
  auto trips = ListAll(e_.store_, e_.layout_.TripPrefix(spec_.name, instance_));
  if (!trips.ok()) return trips.status();
  int64_t newest = 0;
  std::set<int64_t> done;
  for (const auto& obj : *trips) {
    auto k = e_.layout_.Decode(obj.key);
    if (!k) continue;
    if (k->kind == StateKeyKind::kTrip) newest = std::max(newest, k->generation);
    if (k->kind == StateKeyKind::kTripDone) done.insert(k->generation);
  }
  std::vector<std::string> old;
  for (const auto& obj : *trips) {
    auto k = e_.layout_.Decode(obj.key);
    // Never the newest record (it holds the generation counter and the consumed
    // window), never an unfinished trip, nothing younger than the retention.
    if (!k || k->generation >= newest || !done.count(k->generation) || obj.last_modified > cutoff) continue;
    old.push_back(obj.key);
  }
  // Window checkpoints: all but the newest record's, once past the retention.
  auto newest_record = ReadTrip(newest);
  std::string keep = newest_record.ok() ? (*newest_record)->window_checkpoint : "";
  auto windows = ListAll(e_.store_, e_.layout_.WindowPrefix(spec_.name, instance_));
  if (!windows.ok()) return windows.status();
  for (const auto& obj : *windows) {
    if (obj.key != keep && obj.last_modified <= cutoff && newest_record.ok()) old.push_back(obj.key);
  }
  // Shard hints of claimed generations: never listed again (a late writer
  // may add one after its generation's trip deleted the others).
  auto hints = ListAll(e_.store_, e_.layout_.HintPrefix(spec_.name, instance_));
  if (!hints.ok()) return hints.status();
  for (const auto& obj : *hints) {
    auto k = e_.layout_.Decode(obj.key);
    if (k && k->kind == StateKeyKind::kShardHint && k->generation <= newest) old.push_back(obj.key);
  }
  EB_RETURN_IF_ERROR(DeleteKeys(old));
  return static_cast<int>(old.size());
}

}  // namespace eb
