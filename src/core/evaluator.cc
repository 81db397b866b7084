// The state protocol for one barrier instance. docs/PROTOCOL.md explains why
// each step is there; the comments here point at the promise a step keeps.
#include "core/evaluator.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "core/marker_details.h"

namespace eb {

namespace {
constexpr int kMaxRounds = 64;
}  // namespace

InstanceEvaluator::InstanceEvaluator(const EngineContext& ctx, TripLog& trips,
                                     const BarrierShape& shape, std::string instance,
                                     Bindings bindings, std::string trigger,
                                     std::function<std::string()> claim_token)
    : ctx_(ctx),
      trips_(trips),
      shape_(shape),
      spec_(shape.spec()),
      instance_(std::move(instance)),
      bindings_(std::move(bindings)),
      trigger_(std::move(trigger)),
      claim_token_(std::move(claim_token)),
      finisher_(ctx, trips, shape, instance_) {}

std::vector<InstanceEvaluator::Candidate> InstanceEvaluator::Candidates(const std::vector<ObjectInfo>& markers,
                                                                        const TripView& view) const {
  std::vector<Candidate> out;
  out.reserve(markers.size());
  std::set<std::string> ids;
  for (const auto& obj : markers) {
    auto k = ctx_.layout.Decode(obj.key);
    if (!k || k->kind != StateKeyKind::kArrival) continue;
    // Promise 2: an arrival listed by an unfinished trip may still be consumed
    // by it; a second marker of one event (a copy whose details differ) is
    // the same arrival.
    if (view.in_flight.count(k->id) || !ids.insert(k->id).second) continue;
    out.push_back({obj, std::move(*k)});
  }
  return out;
}

std::vector<std::string> InstanceEvaluator::TagsOf(const std::vector<Candidate>& candidates) {
  std::vector<std::string> tags;
  tags.reserve(candidates.size());
  for (const auto& c : candidates) tags.push_back(c.key.tag);
  return tags;
}

std::map<int, int64_t> InstanceEvaluator::DistinctPerShard(const std::vector<Candidate>& candidates) const {
  return shape_.plan().DistinctPerShard(TagsOf(candidates));
}

// Promise 3 (crash safety) and 4 (actions at least once): a trip without .done
// is finished by whoever re-claims it with the next attempt marker, once its
// backoff (the lease, doubling with each attempt) has run out, or at once by a
// redelivery of the event that claimed it unless an attempt is known to have
// failed. A re-drive that fails leaves the trip unfinished and the evaluation
// goes on: a failing action never holds up later generations.
Status InstanceEvaluator::RedriveEligible(const TripView& view, bool may_resume, std::vector<TripSummary>* trips,
                                          bool* any) {
  TimeMs now = ctx_.clock.NowMs();
  const TimeMs lease = ctx_.config.state.lease_ms;
  for (const UnfinishedTrip& u : view.unfinished) {
    TimeMs due_at = RedriveDueAt(lease, u.attempts, u.last_activity);
    bool due = now >= due_at;
    bool grace_over = now - u.last_activity >= ctx_.options.resume_grace_ms;
    // The latest attempt failed (noted): it did not crash, so no resume by redelivery.
    bool failed_last = u.last_failed >= u.attempts;
    if (!due && (!may_resume || failed_last)) {
      NoteDue(due_at);
      continue;
    }
    auto record = trips_.Read(spec_.name, instance_, u.generation);
    if (!record.ok()) return record.status();
    bool own_event = (*record)->trigger == trigger_ && trigger_ != "sweep";
    // Not ours, or our own trip perhaps still being finished by its claimant.
    if (!due && (!own_event || !grace_over)) {
      NoteDue(due_at);
      continue;
    }
    const int attempt = u.attempts + 1;
    Status s = ctx_.Put(StateKey::TripAttempt(spec_.name, instance_, u.generation, attempt),
                        ctx_.options.worker_id, /*if_absent=*/true);
    if (s.IsAlreadyExists()) {  // another re-driver won this attempt
      NoteDue(RedriveDueAt(lease, attempt, now));
      continue;
    }
    EB_RETURN_IF_ERROR(s);
    ++counts_.redrives;
    ctx_.log.Warn("re-driving unfinished trip", {{"barrier", spec_.name},
                                                 {"instance", instance_},
                                                 {"generation", std::to_string(u.generation)},
                                                 {"attempt", std::to_string(attempt)}});
    Status finished = finisher_.Finish(**record, view.done_upto, /*redriven=*/true, trips);
    if (!finished.ok()) {
      EB_RETURN_IF_ERROR(NoteFailure(u.generation, attempt, finished));
      continue;  // its arrivals stay in flight; later generations go on without them
    }
    *any = true;
  }
  return Status::Ok();
}

void InstanceEvaluator::NoteDue(TimeMs at) {
  next_redrive_at_ = std::min(next_redrive_at_.value_or(at), at);
}

Status InstanceEvaluator::NoteFailure(int64_t generation, int attempt, const Status& error) {
  FailureNote note;
  note.attempt = attempt;
  note.by = ctx_.options.worker_id;
  note.at = ctx_.clock.NowMs();
  note.error = error.ToString();
  Status s = ctx_.Put(StateKey::TripFailed(spec_.name, instance_, generation, attempt),
                      SerializeFailure(note),
                      /*if_absent=*/true);
  if (!s.ok() && !s.IsAlreadyExists()) return error;
  ++counts_.trip_failures;
  if (first_failure_.ok()) first_failure_ = error;
  const TimeMs next = RedriveDueAt(ctx_.config.state.lease_ms, attempt, note.at);
  NoteDue(next);
  ctx_.log.Warn("trip unfinished: re-driven with backoff, later generations go on",
                {{"barrier", spec_.name},
                 {"instance", instance_},
                 {"generation", std::to_string(generation)},
                 {"attempt", std::to_string(attempt)},
                 {"next_attempt_in_ms", std::to_string(next - note.at)},
                 {"error", note.error}});
  return Status::Ok();
}

Result<ConsumedArrival> InstanceEvaluator::Describe(const Candidate& c) const {
  ConsumedArrival out;
  out.id = c.key.id;
  out.tag = c.key.tag;
  out.member = shape_.MemberOf(c.key.tag);
  if (own_marker_ && own_marker_->id == c.key.id && own_marker_->tag == c.key.tag) {
    out.arrival = own_marker_->arrival;
    out.details_in_key = !c.key.details.empty();
    return out;
  }
  if (!c.key.details.empty() && DecodeMarkerDetails(c.key.details, &out.arrival)) {
    out.details_in_key = true;
    return out;
  }
  return Status::NotFound("marker " + c.info.key + " carries no details");
}

bool InstanceEvaluator::RestCouldComplete(std::vector<std::string> tags) const {
  // Whoever won listed every member at least once. If the winner listed
  // after us, it listed all we did (nothing is deleted before its trip is
  // claimed); if before, what it listed we listed too. Either way the rest is
  // at most our candidates less one per member: a named member with a single
  // candidate leaves the rest incomplete. A count latch's winner may have
  // listed other keys than ours: always read.
  if (shape_.spec().is_count()) return true;
  std::sort(tags.begin(), tags.end());
  std::vector<std::string> seconds;  // every tag's second and later candidates
  for (size_t i = 1; i < tags.size(); ++i) {
    if (tags[i] == tags[i - 1]) seconds.push_back(tags[i]);
  }
  return shape_.Covers(seconds);
}

Result<int64_t> InstanceEvaluator::NextEpoch(const TripView& view) {
  if (view.last_generation > 0) return LastEpoch(view);
  // No record: a new counter, or one deleted by hand. Which, the finisher
  // learns from `_epochs/B/I` with the request it writes the witness with, so
  // that claimants (most of which lose) read nothing for it.
  return kEpochUnsettled;
}

Result<int64_t> InstanceEvaluator::LastEpoch(const TripView& view) {
  if (view.last_epoch != kEpochUnsettled) return view.last_epoch;
  // An unfinished first generation whose claimant has not settled its epoch
  // (it failed or is still finishing): settle it, as any of its finishers would.
  auto first = trips_.Read(spec_.name, instance_, view.last_generation);
  if (!first.ok()) return first.status();
  return finisher_.EpochOf(**first);
}

Result<std::optional<TripRecord>> InstanceEvaluator::BuildClaim(int64_t generation,
                                                               const std::vector<Candidate>& candidates,
                                                               TripStatus status, std::vector<std::string> missing,
                                                               const ForceRequest* force) {
  TripRecord claim;
  claim.barrier = spec_.name;
  claim.instance = instance_;
  claim.bindings = bindings_;
  claim.generation = generation;
  claim.epoch_from_witness = claim_epoch_ == kEpochUnsettled;
  claim.epoch = claim.epoch_from_witness ? 0 : claim_epoch_;
  claim.status = status;
  claim.claimed_at = ctx_.clock.NowMs();
  claim.claimed_by = claim_token_();
  claim.trigger = trigger_;
  claim.missing = std::move(missing);
  claim.first_arrival_at = candidates.empty() ? 0 : candidates.front().info.last_modified;
  if (force != nullptr && status == TripStatus::kForced) {
    claim.forced_by = force->by;
    claim.reason = force->reason;
  }
  // Claim from the listing: a marker's key carries what the record and the
  // manifest need. Only a marker whose details did not fit in its key (or one
  // written by format 1) is read, all of them at once.
  std::vector<size_t> unread;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    claim.first_arrival_at = std::min(claim.first_arrival_at, c.info.last_modified);
    auto described = Describe(c);
    if (!described.ok()) unread.push_back(i);
    claim.arrivals.push_back(described.ok() ? std::move(*described) : ConsumedArrival{});
  }
  if (!unread.empty()) {
    std::vector<std::string> keys;
    for (size_t i : unread) keys.push_back(candidates[i].info.key);
    auto bodies = ctx_.store.GetMany(keys);
    for (size_t j = 0; j < unread.size(); ++j) {
      // Deleted by a concurrent winner between our LIST and this GET: look again.
      if (!bodies[j].ok()) {
        if (bodies[j].status().IsNotFound()) return std::optional<TripRecord>();
        return bodies[j].status();
      }
      auto marker = ParseMarker(*bodies[j]);
      if (!marker.ok()) return marker.status().WithContext(keys[j]);
      const Candidate& c = candidates[unread[j]];
      marker->id = c.key.id;
      marker->tag = c.key.tag;
      marker->details_in_key = false;
      claim.arrivals[unread[j]] = std::move(*marker);
    }
  }
  return std::optional<TripRecord>(std::move(claim));
}

Result<InstanceEvaluator::ClaimOutcome> InstanceEvaluator::Claim(int64_t generation,
                                                                 const std::vector<Candidate>& candidates,
                                                                 TripStatus status, std::vector<std::string> missing,
                                                                 bool read_winner, TripRecord* record,
                                                                 const ForceRequest* force) {
  auto built = BuildClaim(generation, candidates, status, std::move(missing), force);
  if (!built.ok()) return built.status();
  if (!*built) return ClaimOutcome::kRetry;
  TripRecord claim = std::move(**built);
  // Promise 1: the claim is PUT-if-absent, so exactly one claimant wins a generation.
  Status s = ctx_.Put(StateKey::Trip(spec_.name, instance_, generation), SerializeTrip(claim), /*if_absent=*/true);
  if (s.IsAlreadyExists()) {
    // Lost: a store that retried a write whose answer was lost says so only
    // when the object there is not ours (ObjectStore::PutIfAbsent); a
    // claimed_by of ours in the record is a second guard.
    if (!read_winner) return ClaimOutcome::kLostUnread;
    auto winner = trips_.ReadFresh(spec_.name, instance_, generation);
    if (!winner.ok()) return winner.status();
    if ((*winner)->claimed_by != claim.claimed_by) {
      *record = **winner;
      return ClaimOutcome::kLost;
    }
  } else if (!s.ok()) {
    return s;
  }
  trips_.Remember(claim);
  *record = std::move(claim);
  return ClaimOutcome::kWon;
}

// A hint h/<gen>/<shard>.<count> says: after listing the shard, its writer
// read t/ and found <gen> - 1 the latest generation, and <count> distinct
// members of the shard present and not listed by an unfinished trip. Hints
// only decide when to run the full evaluation; the claim decides what trips.
Result<bool> InstanceEvaluator::PublishHints(int64_t generation, const std::map<int, int64_t>& counts) {
  const ShardPlan& plan = shape_.plan();
  for (const auto& [shard, count] : counts) {
    if (!plan.ShouldPublish(shard, count)) continue;
    Status s = ctx_.Put(StateKey::ShardHint(spec_.name, instance_, generation, shard, count), kFormatBody,
                        /*if_absent=*/true);
    if (!s.ok() && !s.IsAlreadyExists()) return s;
  }
  auto listed = ListAll(ctx_.store, ctx_.layout.HintGenerationPrefix(spec_.name, instance_, generation));
  if (!listed.ok()) return listed.status();
  std::map<int, int64_t> best;
  std::vector<StateKey> hints;
  for (const auto& obj : *listed) {
    auto k = ctx_.layout.Decode(obj.key);
    if (!k || k->kind != StateKeyKind::kShardHint) continue;
    best[k->shard] = std::max(best[k->shard], k->count);
    hints.push_back(std::move(*k));
  }
  // A count latch hints every count: drop superseded ones (a lower count of a
  // shard that has a higher one, so the shard's best never drops) once they
  // outnumber the shards, keeping this listing to about one page.
  if (hints.size() > 2 * static_cast<size_t>(plan.shards())) {
    std::vector<std::string> superseded;
    for (const auto& k : hints) {
      if (k.count < best[k.shard]) superseded.push_back(ctx_.layout.Encode(k));
    }
    EB_RETURN_IF_ERROR(ctx_.DeleteKeys(superseded));
  }
  return plan.LooksComplete(best);
}

Status InstanceEvaluator::NoteIfLate(const TripView& view) {
  if (!own_marker_ || trigger_ == "sweep" || view.in_flight.count(own_marker_->id))
    return Status::Ok();
  // Not listed by an unfinished trip: the tripped generation's record says
  // whether it consumed the arrival (it did when it listed a marker written
  // just before its claim); it is cached when this process claimed it.
  auto tripped = trips_.Read(spec_.name, instance_, view.last_generation);
  if (!tripped.ok()) return tripped.status();
  const TripRecord& t = **tripped;
  for (const auto& c : t.arrivals) {
    if (c.id == own_marker_->id) return Status::Ok();
  }
  LateArrival late;
  late.tripped_as = t.status;
  late.record.barrier = t.barrier;
  late.record.instance = t.instance;
  late.record.bindings = t.bindings;
  late.record.generation = t.generation;
  auto epoch = LastEpoch(view);
  if (!epoch.ok()) return epoch.status();
  late.record.epoch = *epoch;
  late.record.status = TripStatus::kLate;
  late.record.claimed_at = t.claimed_at;
  late.record.trigger = trigger_;
  late.record.first_arrival_at = t.first_arrival_at;
  late.record.arrivals = {*own_marker_};
  late_ = std::move(late);
  return Status::Ok();
}

bool InstanceEvaluator::MayHaveTimedOut(const std::vector<ObjectInfo>& markers) const {
  if (spec_.mode != BarrierMode::kOnce || !spec_.timeout_ms || !own_marker_ || markers.empty())
    return false;
  return ctx_.clock.NowMs() - OldestModified(markers) >= *spec_.timeout_ms;
}

Status InstanceEvaluator::RunFromShard(int shard, std::vector<ObjectInfo> shard_markers, bool duplicate,
                                       std::vector<TripSummary>* trips) {
  return EvaluateFromShard(shard, std::move(shard_markers), duplicate, trips);
}

Status InstanceEvaluator::EvaluateFromShard(int shard, std::vector<ObjectInfo> shard_markers, bool duplicate,
                                            std::vector<TripSummary>* trips) {
  const ShardPlan& plan = shape_.plan();
  // Cheap path: the shard cannot publish a hint even counting every marker.
  auto present = DistinctPerShard(Candidates(shard_markers, TripView{}));
  if (!duplicate && !plan.ShouldPublish(shard, present[shard])) return Status::Ok();
  // Read t/ after listing the shard: the hint is for the generation after the
  // latest one claimed by then.
  auto view = trips_.Load(spec_.name, instance_);
  if (!view.ok()) return view.status();
  if (duplicate) {
    // A redelivery may have to finish what its first delivery began: its own
    // trip, or the hints of the generation after it (published after a trip),
    // and an unfinished trip may be due. The full evaluation does all of it.
    bool own_latest = false;
    if (view->last_generation > 0) {
      auto latest = trips_.Read(spec_.name, instance_, view->last_generation);
      if (!latest.ok()) return latest.status();
      own_latest = (*latest)->trigger == trigger_;
    }
    if (own_latest || !view->unfinished.empty()) {
      RunOptions options;
      options.always_load_trips = true;
      return Evaluate(std::move(options), trips);
    }
  }
  if (spec_.mode == BarrierMode::kOnce && view->last_generation >= 1) {
    return view->unfinished.empty() ? NoteIfLate(*view)
                                    : Evaluate({}, trips);  // may be due for a re-drive
  }
  auto unconsumed = DistinctPerShard(Candidates(shard_markers, *view));
  if (!plan.ShouldPublish(shard, unconsumed[shard])) return Status::Ok();
  auto all_hinted = PublishHints(view->last_generation + 1, {{shard, unconsumed[shard]}});
  if (!all_hinted.ok()) return all_hinted.status();
  if (!*all_hinted) return Status::Ok();
  return Evaluate({}, trips);  // the authoritative evaluation: lists every shard, claims
}

Result<std::vector<ObjectInfo>> InstanceEvaluator::ListMarkers() {
  std::string prefix = ctx_.layout.ArrivalPrefix(spec_.name, instance_);
  const ShardPlan& plan = shape_.plan();
  if (!plan.sharded()) return ListAll(ctx_.store, prefix);
  // Every shard's folder at once: the wall time of one shard's pages, not
  // of all of them one after another (a 10,000-member barrier has 10).
  std::vector<std::string> dirs;
  dirs.reserve(plan.shards());
  for (int shard = 0; shard < plan.shards(); ++shard) {
    dirs.push_back(ctx_.layout.ArrivalShardPrefix(spec_.name, instance_, shard).substr(prefix.size()));
  }
  return ListAllFolders(ctx_.store, prefix, dirs);
}

Status InstanceEvaluator::Run(RunOptions options, std::vector<TripSummary>* trips) {
  return Evaluate(std::move(options), trips);
}

Status InstanceEvaluator::Evaluate(RunOptions options, std::vector<TripSummary>* trips) {
  const bool sharded = shape_.plan().sharded();
  std::optional<std::vector<ObjectInfo>> markers = std::move(options.markers);
  TimeMs listed_at = options.markers_listed_at;
  bool relisted_after_done = false;
  // After a claim this evaluation knows the next generation without a LIST of t/.
  std::optional<TripView> known;
  int64_t relisted_for_hints = -1;  // the generation whose hints made us list again
  std::optional<std::vector<ObjectInfo>> first_trips = std::move(options.trips);
  // This round's view of t/ may have been read before its markers were: it
  // came from the very LIST they came from (one LIST is not a snapshot on
  // every store), or it was kept while a/ was listed again. A loser's
  // shortcut below must not assume the opposite.
  bool trips_read_first = false;
  bool relisting_under_known = false;  // the next LIST of a/ comes after `known`'s t/
  for (int round = 0; round < kMaxRounds; ++round) {
    if (!markers) {
      listed_at = ctx_.clock.NowMs();
      auto listed = ListMarkers();
      if (!listed.ok()) return listed.status();
      markers = std::move(*listed);
      trips_read_first = relisting_under_known;
      relisting_under_known = false;
    }
    bool may_resume = round == 0 && options.always_load_trips;
    // Cheap path: if even every marker present cannot complete a generation,
    // no trip is possible and no trip record needs reading. Not for a sharded
    // barrier: it reaches Run only when hints or a sweep call for it, and
    // after a trip it must publish the next generation's hints.
    if (!sharded && !may_resume && !options.sweeping && options.force == nullptr &&
        !shape_.Covers(TagsOf(Candidates(*markers, known ? *known : TripView{}))) &&
        !MayHaveTimedOut(*markers)) {
      return Status::Ok();
    }
    TripView view;
    if (known) {
      view = std::move(*known);
      known.reset();
    } else {
      trips_read_first = first_trips.has_value() && !trips_.KnowsInstance(spec_.name, instance_);
      auto loaded = trips_.Load(spec_.name, instance_, std::exchange(first_trips, std::nullopt));
      if (!loaded.ok()) return loaded.status();
      view = std::move(*loaded);
      next_redrive_at_.reset();  // this view's unfinished trips say it
      bool redriven = false;
      // Any first round may resume this event's own trip (the unfinished
      // records are read already): a redelivery is not always a duplicate,
      // since a stale copy's marker may have been deleted and re-created.
      if (options.force == nullptr || !options.force->dry_run) {  // a dry run writes nothing
        EB_RETURN_IF_ERROR(RedriveEligible(view, round == 0 && trigger_ != "sweep", trips, &redriven));
      }
      if (redriven) {  // markers deleted and generations finished: look again
        markers.reset();
        continue;
      }
    }
    if (spec_.mode == BarrierMode::kOnce && view.last_generation >= 1) {
      finished_ = view.unfinished.empty();
      return NoteIfLate(view);
    }
    std::vector<Candidate> candidates = Candidates(*markers, view);
    std::vector<std::string> tags = TagsOf(candidates);
    bool complete = shape_.Covers(tags);
    bool overdue = false;
    if (!complete && options.sweeping && spec_.timeout_ms && !candidates.empty()) {
      TimeMs first = candidates.front().info.last_modified;
      for (const auto& c : candidates) first = std::min(first, c.info.last_modified);
      overdue = ctx_.clock.NowMs() - first >= *spec_.timeout_ms;
    }
    // An operator forces the open generation if it has anything to consume.
    const bool forcing = options.force != nullptr && !complete && !candidates.empty();
    if (!complete && !overdue && !forcing) {
      if (!sharded || options.force != nullptr) return Status::Ok();
      // Promise 1 in a sharded barrier: an arrival that completed its shard
      // while the previous generation was still unclaimed wrote its hint for
      // that generation; whoever evaluates after the claim (this listing)
      // publishes the hints of the generation now open. If every shard is
      // then hinted, a concurrent arrival may have hinted after our LIST of
      // markers and before our LIST of hints, and may not have seen our
      // hints: list the markers once more so one of us evaluates its marker.
      int64_t next = view.last_generation + 1;
      auto all_hinted = PublishHints(next, DistinctPerShard(candidates));
      if (!all_hinted.ok()) return all_hinted.status();
      if (!*all_hinted || relisted_for_hints == next) return Status::Ok();
      relisted_for_hints = next;
      markers.reset();
      continue;
    }
    // The listing race (docs/PROTOCOL.md, "Finishing a trip"): a generation
    // this view shows done may have finished after our LIST of a/ was sent,
    // which may then show markers it consumed and deleted since. List a/
    // again (after the LIST of t/ this view comes from) rather than claim
    // them into a void generation. Only when a done is that recent.
    if (!relisted_after_done && view.last_done_at + ctx_.StampMarginMs() > listed_at) {
      relisted_after_done = true;
      known = std::move(view);
      markers.reset();
      relisting_under_known = true;
      continue;
    }
    TripStatus status = complete ? TripStatus::kComplete : forcing ? TripStatus::kForced : TripStatus::kTimeout;
    std::vector<std::string> missing = complete ? std::vector<std::string>{} : shape_.Missing(tags, bindings_);
    // A dry run writes nothing, so it does not settle an unsettled first
    // generation's epoch either: its preview says the epoch is settled later.
    const bool dry_run = options.force != nullptr && options.force->dry_run;
    auto epoch = dry_run && view.last_epoch == kEpochUnsettled ? Result<int64_t>(kEpochUnsettled)
                                                               : NextEpoch(view);
    if (!epoch.ok()) return epoch.status();
    claim_epoch_ = *epoch;
    if (dry_run) {
      auto preview = BuildClaim(view.last_generation + 1, candidates, status, std::move(missing), options.force);
      if (!preview.ok()) return preview.status();
      if (!*preview) {
        markers.reset();
        continue;
      }
      options.force->claim = std::move(**preview);
      return Status::Ok();
    }
    TripRecord claimed;
    // A loser reads the winner's record only to go on with what the winner
    // did not list; when that rest cannot complete a generation, it stops
    // after its failed PUT (its arrival is either consumed or waits in a/).
    // That rest is bounded only if our t/ was read after our a/ (the winner
    // may have claimed and finished after we read t/ and before we read a/,
    // leaving us a set it never saw). An operator's force always reads it:
    // it reports who won.
    const bool read_winner = !complete || sharded || options.force != nullptr || trips_read_first ||
                             RestCouldComplete(tags);
    auto outcome = Claim(view.last_generation + 1, candidates, status, std::move(missing), read_winner, &claimed,
                         options.force);
    if (!outcome.ok()) return outcome.status();
    if (*outcome == ClaimOutcome::kRetry) {
      markers.reset();  // a marker vanished under us: look again
      continue;
    }
    if (*outcome == ClaimOutcome::kLostUnread) {
      ++counts_.claims_lost;
      return Status::Ok();
    }
    if (options.force != nullptr) {
      // The force is spent on this generation, won or lost: what is left
      // waits for the next one as usual.
      options.force->claim = claimed;
      options.force->lost = *outcome == ClaimOutcome::kLost;
      options.force = nullptr;
    }
    std::set<std::string> listed_by_claim;
    for (const auto& c : claimed.arrivals) listed_by_claim.insert(c.id);
    bool claim_failed = false;  // won, and finishing it failed
    // The claimed generation's epoch as far as this process knows it: a
    // first generation's is settled by its finisher.
    int64_t claimed_epoch = claimed.epoch_from_witness ? kEpochUnsettled : claimed.epoch;
    if (*outcome == ClaimOutcome::kLost) {
      ++counts_.claims_lost;
    } else {
      ++counts_.claims_won;
      bool void_trip = false;
      Status finish = finisher_.Finish(claimed, view.done_upto, /*redriven=*/false, trips,
                                       &void_trip, &claimed_epoch);
      if (!finish.ok()) {
        // Left unfinished (its record holds the arrivals; re-driven with
        // backoff): the evaluation goes on with what it did not list.
        EB_RETURN_IF_ERROR(NoteFailure(claimed.generation, 0, finish));
        claim_failed = true;
      }
      if (void_trip) {
        // Promise 1: arrivals that waited on this trip are open again, and
        // their own evaluations skipped them: evaluate from a fresh listing.
        markers.reset();
        continue;
      }
      if (spec_.mode == BarrierMode::kOnce) {
        finished_ = !claim_failed;
        return Status::Ok();
      }
    }
    if (sharded) {
      markers.reset();  // list again: the next generation's hints are ours to publish
      continue;
    }
    // What the claim did not list may already complete the next generation;
    // arrivals newer than our listing evaluate themselves. A loser pays
    // nothing more to learn this: the winner's record told it what went.
    std::vector<ObjectInfo> rest;
    for (const auto& c : candidates) {
      if (!listed_by_claim.count(c.key.id)) rest.push_back(c.info);
    }
    markers = std::move(rest);
    known = std::move(view);
    if (claimed.generation == known->done_upto + 1 && *outcome == ClaimOutcome::kWon &&
        !claim_failed) {
      known->done_upto = claimed.generation;
    } else {
      known->unfinished.push_back(
          {claimed.generation, 0, claimed.claimed_at, false, claim_failed ? 0 : -1});
      known->in_flight.insert(listed_by_claim.begin(), listed_by_claim.end());
    }
    known->last_generation = claimed.generation;
    known->last_epoch = claimed_epoch;
  }
  return Status::Internal("barrier " + spec_.name + "/" + instance_ + ": evaluation did not settle after " +
                          std::to_string(kMaxRounds) + " rounds");
}

}  // namespace eb
