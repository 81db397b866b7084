#include "core/engine.h"

#include "core/arrival_listing.h"
#include "core/evaluator.h"
#include "core/late_arrival.h"
#include "core/marker_details.h"

namespace eb {

namespace {
// Keys a cold arrival's listing of the whole instance holds beyond the
// barrier's width: room for duplicates' markers and a history of some thirty
// generations within the retention (a new instance has none), without
// listing a long history on every cold arrival.
constexpr size_t kColdListingSlack = 100;
}  // namespace

Engine::Engine(const Config& config, ObjectStore& store, ActionRunner& actions, Clock& clock,
               Logger& log, EngineOptions options)
    : config_(config),
      store_(store),
      actions_(actions),
      clock_(clock, store.ServerTime(),
             [this](const std::string& message, TimeMs offset_ms) {
               log_.Warn(message, {{"store_clock_offset_ms", std::to_string(offset_ms)}});
             }),
      log_(log),
      options_(std::move(options)),
      layout_(config.state.prefix),
      ctx_{config_, store_, actions_, clock_, log_, options_, layout_},
      trips_(ctx_) {}

Engine::~Engine() = default;

const BarrierShape& Engine::ShapeOf(const BarrierSpec& spec) {
  auto& shape = shapes_[spec.name];
  if (!shape) shape = std::make_unique<BarrierShape>(spec, options_.shard_size);
  return *shape;
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

Status Engine::EnsureFormat() {
  if (format_checked_) return Status::Ok();
  std::string key = layout_.Encode(StateKey::Format());
  // Another engine stamps a fresh state before it writes anything else, so
  // an open index without a stamp means format 1 only if the stamp is still
  // missing after we saw the index.
  for (int look = 0; look < 2; ++look) {
    auto body = store_.Get(key);
    if (body.ok()) {
      int format = ParseFormatStamp(*body);
      if (format == kStateFormat) {
        format_checked_ = true;
        return Status::Ok();
      }
      if (format > kStateFormat) {
        return Status::FailedPrecondition("the state under " + layout_.state_prefix() + " is of format " +
                                          std::to_string(format) + ", written by a newer eventbarrier; upgrade this one");
      }
      return NeedsMigration("the state under " + layout_.state_prefix());
    }
    if (!body.status().IsNotFound()) return body.status();
    if (look == 1) return NeedsMigration("the state under " + layout_.state_prefix());
    // No stamp: a fresh state, or one written in format 1 (which had none but
    // always had an open index once anything arrived).
    ListOptions probe;
    probe.prefix = layout_.OpenPrefix();
    probe.max_keys = 1;
    auto open = store_.List(probe);
    if (!open.ok()) return open.status();
    if (open->objects.empty()) break;
  }
  Status s = RetryConflicts(options_.conflict_retries, clock_, [&] { return store_.PutIfAbsent(key, kFormatBody); });
  if (!s.ok() && !s.IsAlreadyExists()) return s;
  format_checked_ = true;
  return Status::Ok();
}

Status Engine::EnsureOpenIndexed(const BarrierSpec& spec, const std::string& instance) {
  const std::string& barrier = spec.name;
  if (SweeperKeepsIndexed(spec)) {
    // The sweeper creates this entry when it is missing, and never lets it
    // go: a marker written before the first sweep is reached by that sweep.
    index_seen_ = {};
    return EnsureFormat();
  }
  std::string key = layout_.Encode(StateKey::Open(barrier, instance));
  TimeMs now = clock_.NowMs();
  if (auto it = open_indexed_.find(key); it != open_indexed_.end() && now - it->second < options_.open_cache_ttl_ms) {
    index_seen_ = {};
    return Status::Ok();
  }
  // Read first, create only when missing: a burst of cold processes all
  // arriving for one instance must not all write the same key.
  auto present = store_.Get(key);
  if (!present.ok() && !present.status().IsNotFound()) return present.status();
  // An index written by this format proves the state is of it (an engine
  // writes one only after checking the stamp): a cold process then reads no
  // stamp. Format 1's index was empty, and migrate leaves it so.
  if (present.ok() && ParseFormatStamp(*present) == kStateFormat) format_checked_ = true;
  EB_RETURN_IF_ERROR(EnsureFormat());
  if (!present.ok()) {
    Status s = RetryConflicts(options_.conflict_retries, clock_, [&] { return store_.PutIfAbsent(key, kFormatBody); });
    if (!s.ok() && !s.IsAlreadyExists()) return s;
    // No hint of 0 here: an instance not indexed may be an idle one coming
    // back with a compacted history, where from 0 nothing counts as done. A
    // new one's trip log costs no head GET anyway: a cold process lists one
    // page of t/ first (TripLog::Load).
  }
  index_seen_ = {key, now};
  return Status::Ok();
}

Result<Engine::TombstoneRead> Engine::ReadTombstone(const std::string& barrier, const std::string& instance,
                                                    const std::string& id) {
  TombstoneRead read;
  auto tombstone = store_.Get(layout_.Encode(StateKey::Tombstone(barrier, instance, id)));
  if (!tombstone.ok()) return tombstone.status().IsNotFound() ? Result<TombstoneRead>(read) : tombstone.status();
  auto parsed = ParseTombstone(*tombstone);
  if (!parsed.ok()) return parsed.status().WithContext("tombstone of " + id);
  auto done = store_.Get(layout_.Encode(StateKey::TripDone(barrier, instance, parsed->generation)));
  if (!done.ok() && !done.status().IsNotFound()) return done.status();
  if (!done.ok()) {
    read.unfinished = parsed->generation;  // settling, or its actions still running
  } else if (!ParseDone(*done).void_trip) {
    read.consumed_by = parsed->generation;
  }  // a void generation consumed nothing: the arrival is still to count
  return read;
}

bool Engine::IsPromptDelivery(const Arrival& arrival) {
  TimeMs happened = 0;
  if (options_.prompt_arrival_ms <= 0 || !ParseIso8601(arrival.event_time, &happened)) return false;
  // An event stamped later than our clock says is prompt too (clock skew).
  return clock_.NowMs() - happened <= options_.prompt_arrival_ms;
}

Result<ArrivalOutcome> Engine::OnArrival(const Arrival& arrival) {
  std::vector<IgnoredArrival> ignored;
  std::vector<ArrivalMatch> matches = Match(arrival, &ignored);
  auto outcome = OnArrival(arrival, matches);
  if (outcome.ok()) outcome->ignored_by = std::move(ignored);
  return outcome;
}

Result<ArrivalOutcome> Engine::OnArrival(const Arrival& arrival, const std::vector<ArrivalMatch>& matches) {
  trips_.Trim();
  ArrivalOutcome outcome;
  if (matches.empty()) {
    outcome.ignored = true;
    return outcome;
  }
  std::string id = ArrivalId(arrival);
  const bool prompt = IsPromptDelivery(arrival);
  for (const ArrivalMatch& m : matches) {
    const BarrierSpec& spec = *m.barrier;
    const BarrierShape& shape = ShapeOf(spec);
    int shard = shape.plan().ShardOf(m.tag);
    // The marker's key carries the manifest's fields when they fit, so a
    // claimant reads no marker body (docs/PROTOCOL.md).
    StateKey marker = StateKey::Arrival(spec.name, m.instance, m.tag, id, shard,
                                        EncodeMarkerDetails(arrival, m.tag, id));
    ConsumedArrival body{id, m.member, m.tag, arrival, !marker.details.empty()};
    // A copy delivered after its arrival was consumed finds the tombstone and
    // writes nothing: its marker would complete a set of stale copies, and a
    // marker, however briefly it exists, can be listed by a claimant.
    // Read before the index, so that a late copy neither reads the index nor
    // notes it as cached without writing anything (core/sweeper.h). A prompt
    // delivery skips the read (EngineOptions): it is, as a rule, the first
    // one. A prompt copy that is not writes its marker again: in a once
    // barrier it finds the marker its trip kept; in a cyclic one the next
    // generation settles it stale while its tombstone lives, and the sweep
    // that would expire the tombstone deletes the marker first (core/
    // compaction.h). Not in a barrier with a timeout: a re-created marker
    // would start the timeout clock.
    const bool read_first = !prompt || spec.timeout_ms.has_value();
    Result<TombstoneRead> tombstone = TombstoneRead{};
    if (read_first) tombstone = ReadTombstone(spec.name, m.instance, id);
    if (!tombstone.ok()) return tombstone.status().WithContext("recording arrival " + arrival.key);
    auto late = [&](int64_t generation) {
      ++outcome.duplicates;
      ++outcome.late_duplicates;
      log_.Warn("late duplicate: this arrival was consumed already",
                {{"barrier", spec.name}, {"instance", m.instance}, {"key", arrival.key},
                 {"consumed_by_generation", std::to_string(generation)}});
    };
    if (tombstone->consumed_by > 0) {
      late(tombstone->consumed_by);
      continue;
    }
    // Index before the marker: every marker that exists is reachable by the
    // sweeper, even if this invocation dies right after writing it and is
    // never retried.
    EB_RETURN_IF_ERROR(EnsureOpenIndexed(spec, m.instance));
    bool duplicate = false;
    // The copy's generation deleted its marker but has no .done yet: this
    // copy writes nothing and counts nothing, but still evaluates the
    // instance (which resumes that trip once due).
    bool resume_only = false;
    if (tombstone->unfinished > 0) {
      // An unfinished generation lists this arrival. While its marker is
      // there this copy is a plain duplicate (it may resume that trip). Once
      // the marker is gone, that generation deleted it, which it does only
      // once settled as consuming it: a late copy. Reading, not writing, so
      // that no re-created marker exists even for a moment (a void generation
      // keeps its fresh markers, so nothing is lost either way).
      auto existing = store_.Get(layout_.Encode(marker));
      if (!existing.ok() && !existing.status().IsNotFound()) {
        return existing.status().WithContext("recording arrival " + arrival.key);
      }
      if (!existing.ok()) {
        late(tombstone->unfinished);
        // That generation is in its last step (its deletes, then .done). If
        // this copy is the redelivery of the arrival that claimed it (its
        // claimant killed in that step), evaluating resumes the trip now, as
        // a copy with its marker still there would, instead of leaving it to
        // the sweeper after the lease.
        resume_only = true;
      } else {
        duplicate = true;
      }
    } else {
      // Promise 2: the marker key comes from the event, so every copy of an
      // event maps to one marker; PUT-if-absent makes a duplicate a no-op.
      Status s = ctx_.Put(marker, SerializeMarker(body), /*if_absent=*/true);
      duplicate = s.IsAlreadyExists();
      if (!s.ok() && !duplicate) return s.WithContext("recording arrival " + arrival.key);
    }
    if (!resume_only) {
      // A marker is there: from now on this process trusts the index entry.
      if (!index_seen_.first.empty()) open_indexed_[index_seen_.first] = index_seen_.second;
      (duplicate ? outcome.duplicates : outcome.counted)++;
    }
    InstanceEvaluator evaluator(ctx_, trips_, shape, m.instance, m.bindings, id, [this] { return NextClaimToken(); });
    if (!resume_only) evaluator.set_own_marker(std::move(body));
    const TimeMs listed_at = clock_.NowMs();
    if (shard >= 0) {
      // A wide barrier's arrival lists only its own shard (promise 5).
      auto markers = ListAll(store_, layout_.ArrivalShardPrefix(spec.name, m.instance, shard));
      if (!markers.ok()) return markers.status();
      EB_RETURN_IF_ERROR(
          evaluator.RunFromShard(shard, std::move(*markers), duplicate || resume_only, &outcome.trips));
    } else {
      // A process that knows nothing of the instance's trips yet lists the
      // whole instance: the page that shows a/ shows t/ too (core/
      // arrival_listing.h), in a page sized for a/ and a short history; not
      // again once a page was truncated (a longer history, or a/). Not for a
      // barrier whose a/ alone may fill a page: its complete set would cost
      // a second LIST (the rest of a/) to save one of t/.
      const std::string instance_prefix = layout_.InstancePrefix(spec.name, m.instance);
      const size_t page_keys = spec.needed() + kColdListingSlack;
      const bool cold = page_keys <= static_cast<size_t>(ListOptions{}.max_keys) &&
                        !trips_.KnowsInstance(spec.name, m.instance) &&
                        !markers_alone_.count(instance_prefix);
      auto listing =
          ListForArrival(store_, layout_, spec.name, m.instance, cold, static_cast<int>(page_keys));
      if (!listing.ok()) return listing.status();
      if (cold && !listing->trips) {
        if (markers_alone_.size() >= kMaxMarkersAlone) markers_alone_.clear();
        markers_alone_.insert(instance_prefix);
      }
      InstanceEvaluator::RunOptions options;
      options.markers = std::move(listing->markers);
      options.trips = std::move(listing->trips);
      options.markers_listed_at = listed_at;
      options.always_load_trips = duplicate || resume_only;
      EB_RETURN_IF_ERROR(evaluator.Run(std::move(options), &outcome.trips));
    }
    outcome.claims_won += evaluator.counts().claims_won;
    outcome.claims_lost += evaluator.counts().claims_lost;
    outcome.trip_failures += evaluator.counts().trip_failures;
    if (const auto& late = evaluator.late()) {
      if (!duplicate) ++outcome.late;
      Status s = HandleLateArrival(ctx_, spec, *late, duplicate);
      if (!s.ok()) return s.WithContext("recording arrival " + arrival.key);
    }
  }
  return outcome;
}

Result<std::vector<TripSummary>> Engine::Force(const std::string& barrier, const std::string& instance,
                                               ForceRequest* request) {
  const BarrierSpec* spec = config_.Find(barrier);
  if (spec == nullptr) return Status::NotFound("barrier '" + barrier + "' is not in the configuration");
  auto bindings = ParseInstanceName(instance, spec->variables);
  if (!bindings) {
    return Status::InvalidArgument("instance '" + instance + "' does not fit barrier " + barrier + "'s variables");
  }
  EB_RETURN_IF_ERROR(EnsureFormat());
  trips_.Trim();
  std::vector<TripSummary> trips;
  InstanceEvaluator evaluator(ctx_, trips_, ShapeOf(*spec), instance, *bindings, "force",
                              [this] { return NextClaimToken(); });
  InstanceEvaluator::RunOptions options;
  options.force = request;
  EB_RETURN_IF_ERROR(evaluator.Run(std::move(options), &trips));
  // The operator hears of a failed action at once; the trip is re-driven.
  if (!evaluator.first_failure().ok()) {
    return evaluator.first_failure().WithContext(
        "the trip stays unfinished and is re-driven with backoff");
  }
  return trips;
}

Result<SweepOutcome> Engine::Sweep(bool compact) {
  SweepOptions options;
  options.compact = compact;
  return Sweep(options);
}

Result<SweepOutcome> Engine::Sweep(const SweepOptions& options) {
  EB_RETURN_IF_ERROR(EnsureFormat());
  // Shapes are built here, before the sweeper's probes run on several
  // threads; evaluations run on this one.
  for (const BarrierSpec& spec : config_.barriers) ShapeOf(spec);
  Sweeper::Hooks hooks;
  hooks.shape_of = [this](const BarrierSpec& spec) -> const BarrierShape& { return ShapeOf(spec); };
  hooks.claim_token = [this] { return NextClaimToken(); };
  hooks.forget_indexed = [this](const std::string& key) { open_indexed_.erase(key); };
  Sweeper sweeper(ctx_, std::move(hooks));
  // The caller's deadline is in this machine's time; the sweeper's clock is the store's.
  SweepOptions in_store_time = options;
  if (in_store_time.deadline_ms > 0) in_store_time.deadline_ms += clock_.OffsetMs();
  return sweeper.Run(in_store_time);
}

}  // namespace eb
