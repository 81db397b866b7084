// The state protocol for one barrier instance. docs/PROTOCOL.md explains why
// each step is there; the comments here point at the promise a step keeps.
#include "core/engine_eval.h"

#include <algorithm>
#include <map>

namespace eb {

namespace {
constexpr int kMaxRounds = 64;
}  // namespace

Engine::Evaluator::Evaluator(Engine& engine, const BarrierSpec& spec, std::string instance,
                             Bindings bindings, std::string trigger)
    : e_(engine),
      spec_(spec),
      instance_(std::move(instance)),
      bindings_(std::move(bindings)),
      trigger_(std::move(trigger)) {
  for (const auto& m : spec_.members) member_tags_.insert(MemberTag(m.text()));
}

Status Engine::Evaluator::RetryPut(const std::string& key, const std::string& body, bool if_absent) {
  return RetryConflicts(e_.options_.conflict_retries, [&] {
    return if_absent ? e_.store_.PutIfAbsent(key, body) : e_.store_.Put(key, body);
  });
}

Status Engine::Evaluator::RetryDelete(const std::string& key) {
  return RetryConflicts(e_.options_.conflict_retries, [&] { return e_.store_.Delete(key); });
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
  for (auto& [gen, g] : gens) {
    if (!g.record) continue;
    view.last_generation = std::max(view.last_generation, gen);
    if (g.done) {
      if (gen == view.done_upto + 1) view.done_upto = gen;
      continue;
    }
    auto record = ReadTrip(gen);
    if (!record.ok()) return record.status();
    for (const auto& c : (*record)->arrivals) view.consumed.insert(c.id);
    view.undone.push_back({**record, g.attempts, g.last_activity});
  }
  return view;
}

// Promise 3 (crash safety) and 4 (actions at least once): a trip without .done
// is finished by whoever re-claims it with the next attempt marker, once its
// lease has run out, or at once by a redelivery of the event that claimed it.
Status Engine::Evaluator::RedriveEligible(TripView& view, bool sweeping,
                                          std::vector<TripSummary>* trips, bool* any) {
  TimeMs now = e_.clock_.NowMs();
  for (const Undone& u : view.undone) {
    bool lease_over = now - u.last_activity >= e_.config_.state.lease_ms;
    bool own_event = u.record.trigger == trigger_ && trigger_ != "sweep";
    if (!lease_over && !own_event) continue;
    (void)sweeping;
    StateKey attempt{StateKeyKind::kTripAttempt, spec_.name, instance_, "", "", u.record.generation,
                     u.attempts + 1};
    Status s = RetryPut(e_.layout_.Encode(attempt), e_.options_.worker_id, /*if_absent=*/true);
    if (s.IsAlreadyExists()) continue;  // another re-driver won this attempt
    EB_RETURN_IF_ERROR(s);
    e_.log_.Warn("re-driving unfinished trip",
                 {{"barrier", spec_.name}, {"instance", instance_},
                  {"generation", std::to_string(u.record.generation)},
                  {"attempt", std::to_string(u.attempts + 1)}});
    EB_RETURN_IF_ERROR(Finish(u.record, view.done_upto, /*redriven=*/true, trips));
    *any = true;
  }
  return Status::Ok();
}

std::vector<Engine::Evaluator::Candidate> Engine::Evaluator::Unconsumed(
    const std::vector<ObjectInfo>& markers, const TripView& view) const {
  std::vector<Candidate> out;
  for (const auto& obj : markers) {
    auto k = e_.layout_.Decode(obj.key);
    if (!k || k->kind != StateKeyKind::kArrival) continue;
    if (view.consumed.count(k->id)) continue;
    out.push_back({obj, *k});
  }
  return out;
}

// Promise 2: a stale duplicate may re-create a/<id> after its arrival was moved
// to c/<id>. Before any claim, such markers are found and deleted, not counted.
// Without any earlier trip there is nothing consumed, so nothing to check.
Status Engine::Evaluator::DropStale(const TripView& view, std::vector<Candidate>* candidates) {
  if (view.last_generation == 0) return Status::Ok();
  std::vector<Candidate> kept;
  for (auto& c : *candidates) {
    StateKey consumed{StateKeyKind::kConsumed, spec_.name, instance_, "", c.key.id};
    auto body = e_.store_.Get(e_.layout_.Encode(consumed));
    if (body.ok()) {
      EB_RETURN_IF_ERROR(RetryDelete(c.info.key));
      continue;
    }
    if (!body.status().IsNotFound()) return body.status();
    kept.push_back(std::move(c));
  }
  *candidates = std::move(kept);
  return Status::Ok();
}

bool Engine::Evaluator::Covers(const std::vector<Candidate>& candidates) const {
  std::set<std::string> tags;
  for (const auto& c : candidates) tags.insert(c.key.tag);
  if (spec_.is_count()) return tags.size() >= static_cast<size_t>(spec_.count);
  return std::includes(tags.begin(), tags.end(), member_tags_.begin(), member_tags_.end());
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
  for (const auto& m : spec_.members) {
    if (!tags.count(MemberTag(m.text()))) missing.push_back(m.Render(bindings_));
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
    auto body = e_.store_.Get(c.info.key);
    if (!body.ok()) {
      // Moved by a concurrent winner between our LIST and this GET: look again.
      if (body.status().IsNotFound()) return ClaimOutcome::kRetry;
      return body.status();
    }
    auto marker = ParseMarker(*body);
    if (!marker.ok()) return marker.status().WithContext(c.info.key);
    marker->tag = c.key.tag;
    record.arrivals.push_back(std::move(*marker));
  }
  std::string key =
      e_.layout_.Encode({StateKeyKind::kTrip, spec_.name, instance_, "", "", record.generation});
  // Promise 1: the claim is PUT-if-absent, so exactly one claimant wins a generation.
  Status s = RetryPut(key, SerializeTrip(record), /*if_absent=*/true);
  if (s.IsAlreadyExists()) {
    // Lost, or our own write landed and only its answer was lost: the record says which.
    e_.trip_cache_.erase(key);
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
  for (const auto& action : actions) {
    Status s = e_.actions_.Run(action, record);
    if (!s.ok()) {
      e_.log_.Error("action failed; the trip stays unfinished and is re-driven",
                    {{"barrier", spec_.name}, {"instance", instance_},
                     {"generation", std::to_string(record.generation)}, {"action", action.type},
                     {"error", s.ToString()}});
      return s.WithContext("action " + action.type + " for " + record.IdempotencyKey());
    }
  }
  // Keeping reads bounded (promise 5): a cyclic instance moves consumed markers
  // out of a/ so a/ holds only the open generation. A once-mode instance never
  // trips again, so its markers may stay where they are.
  if (spec_.mode == BarrierMode::kCyclic) {
    for (const auto& c : record.arrivals) {
      StateKey consumed{StateKeyKind::kConsumed, spec_.name, instance_, "", c.id};
      EB_RETURN_IF_ERROR(RetryPut(e_.layout_.Encode(consumed), SerializeMarker(c), false));
      StateKey marker{StateKeyKind::kArrival, spec_.name, instance_, c.tag, c.id};
      EB_RETURN_IF_ERROR(RetryDelete(e_.layout_.Encode(marker)));
    }
  }
  StateKey done{StateKeyKind::kTripDone, spec_.name, instance_, "", "", record.generation};
  Status s = RetryPut(e_.layout_.Encode(done), e_.options_.worker_id, /*if_absent=*/true);
  if (!s.ok() && !s.IsAlreadyExists()) return s;
  if (record.generation == done_upto + 1) {
    // A hint only: it may lag or be overwritten by a smaller value, and stays a
    // valid lower bound because it is written only when all earlier gens are done.
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
                    record.arrivals.size()});
  return Status::Ok();
}

Status Engine::Evaluator::Run(RunOptions options, std::vector<TripSummary>* trips) {
  std::optional<std::vector<ObjectInfo>> markers = std::move(options.markers);
  for (int round = 0; round < kMaxRounds; ++round) {
    if (!markers) {
      auto listed = ListAll(e_.store_, e_.layout_.ArrivalPrefix(spec_.name, instance_));
      if (!listed.ok()) return listed.status();
      markers = std::move(*listed);
    }
    open_markers_ = markers->size();
    // Cheap path: if even every marker present cannot complete a generation,
    // no trip is possible and no trip record needs reading.
    bool might_complete = Covers(Unconsumed(*markers, TripView{}));
    if (round == 0 && !might_complete && !options.always_load_trips && !options.sweeping) {
      return Status::Ok();
    }
    auto view = LoadTrips();
    if (!view.ok()) return view.status();
    bool redriven = false;
    EB_RETURN_IF_ERROR(RedriveEligible(*view, options.sweeping, trips, &redriven));
    if (redriven) {  // markers moved and generations finished: look again
      markers.reset();
      continue;
    }
    if (spec_.mode == BarrierMode::kOnce && view->last_generation >= 1) {
      finished_ = view->undone.empty();
      return Status::Ok();
    }
    std::vector<Candidate> candidates = Unconsumed(*markers, *view);
    bool complete = Covers(candidates);
    bool overdue = false;
    if (!complete && options.sweeping && spec_.timeout_ms && !candidates.empty()) {
      TimeMs first = candidates.front().info.last_modified;
      for (const auto& c : candidates) first = std::min(first, c.info.last_modified);
      overdue = e_.clock_.NowMs() - first >= *spec_.timeout_ms;
    }
    if (!complete && !overdue) return Status::Ok();
    size_t before_check = candidates.size();
    EB_RETURN_IF_ERROR(DropStale(*view, &candidates));
    complete = Covers(candidates);
    if (!complete && (!overdue || candidates.empty())) {
      if (candidates.size() == before_check) return Status::Ok();
      markers.reset();
      continue;  // stale markers were deleted: re-evaluate from a fresh listing
    }
    TripRecord claimed;
    auto outcome = Claim(*view, candidates, complete ? TripStatus::kComplete : TripStatus::kTimeout,
                         complete ? std::vector<std::string>{} : Missing(candidates), &claimed);
    if (!outcome.ok()) return outcome.status();
    if (*outcome == ClaimOutcome::kWon) {
      EB_RETURN_IF_ERROR(Finish(claimed, view->done_upto, /*redriven=*/false, trips));
      if (spec_.mode == BarrierMode::kOnce) {
        finished_ = true;
        return Status::Ok();
      }
    }
    markers.reset();  // won (cyclic: maybe another generation is complete), lost or retry
  }
  return Status::Internal("barrier " + spec_.name + "/" + instance_ +
                          ": evaluation did not settle after " + std::to_string(kMaxRounds) + " rounds");
}

Result<int> Engine::Evaluator::Compact() {
  TimeMs cutoff = e_.clock_.NowMs() - e_.config_.state.retention_ms;
  int deleted = 0;
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
  for (const auto& obj : *trips) {
    auto k = e_.layout_.Decode(obj.key);
    // Never the newest record (it holds the generation counter), never an unfinished trip.
    if (!k || k->generation >= newest || !done.count(k->generation) || obj.last_modified > cutoff) continue;
    EB_RETURN_IF_ERROR(RetryDelete(obj.key));
    ++deleted;
  }
  auto consumed = ListAll(e_.store_, e_.layout_.ConsumedPrefix(spec_.name, instance_));
  if (!consumed.ok()) return consumed.status();
  for (const auto& obj : *consumed) {
    if (obj.last_modified > cutoff) continue;
    EB_RETURN_IF_ERROR(RetryDelete(obj.key));
    ++deleted;
  }
  return deleted;
}

}  // namespace eb
