#include "core/trip_finisher.h"

#include <optional>
#include <set>

#include "core/marker_details.h"

namespace eb {

namespace {
// A tombstone (expired) or the epoch witness that vanishes under us is tried again.
constexpr int kSettleTries = 4;
}  // namespace

std::string TripFinisher::MarkerKey(const ConsumedArrival& c) const {
  std::string details = c.details_in_key ? EncodeMarkerDetails(c.arrival, c.tag, c.id) : "";
  return ctx_.layout.Encode(
      StateKey::Arrival(shape_.spec().name, instance_, c.tag, c.id, shape_.plan().ShardOf(c.tag), details));
}

bool TripFinisher::IsVoid(const TripRecord& record, const std::set<std::string>& stale) const {
  if (stale.empty()) return false;
  std::vector<std::string> tags;
  for (const auto& c : record.arrivals) {
    if (!stale.count(c.id)) tags.push_back(c.tag);
  }
  return record.status == TripStatus::kComplete ? !shape_.Covers(tags) : tags.empty();
}

Result<StaleVerdict> TripFinisher::Settle(const TripRecord& record, bool redriven) {
  const std::string& barrier = shape_.spec().name;
  const int64_t g = record.generation;
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& c : record.arrivals) {
    if (seen.insert(c.id).second) ids.push_back(c.id);
  }
  const std::string ours = SerializeTombstone({g, record.epoch});
  std::vector<std::pair<std::string, std::string>> items;
  items.reserve(ids.size());
  for (const auto& id : ids) items.emplace_back(ctx_.layout.Encode(StateKey::Tombstone(barrier, instance_, id)), ours);

  // One PUT-if-absent per arrival, all at once: the common case (every
  // tombstone new, or already ours from an earlier attempt) costs nothing more.
  std::vector<Status> put = ctx_.store.PutIfAbsentMany(items);
  std::vector<size_t> taken;  // tombstone already there: whose?
  for (size_t i = 0; i < put.size(); ++i) {
    if (put[i].ok()) continue;
    if (put[i].IsAlreadyExists() || put[i].code() == Code::kConflict) {
      taken.push_back(i);
      continue;
    }
    return put[i].WithContext("writing tombstone " + items[i].first);
  }
  std::vector<std::string> stale;
  if (!taken.empty()) {
    std::vector<std::string> keys;
    for (size_t i : taken) keys.push_back(items[i].first);
    std::vector<Result<std::string>> bodies = ctx_.store.GetMany(keys);
    for (size_t j = 0; j < taken.size(); ++j) {
      const std::string& key = items[taken[j]].first;
      const std::string& body = items[taken[j]].second;
      Result<std::string> current = std::move(bodies[j]);
      bool fresh = false, decided = false;
      for (int attempt = 0; attempt < kSettleTries && !decided; ++attempt) {
        if (attempt > 0) current = ctx_.store.Get(key);
        if (!current.ok() && current.status().IsNotFound()) {
          // Expired or taken back between our write and our read: write it again.
          Status s = RetryConflicts(ctx_.options.conflict_retries, ctx_.clock,
                                    [&] { return ctx_.store.PutIfAbsent(key, body); });
          if (s.ok()) {
            fresh = decided = true;
          } else if (!s.IsAlreadyExists()) {
            return s.WithContext("writing tombstone " + key);
          }
          continue;
        }
        if (!current.ok()) return current.status().WithContext("reading tombstone " + key);
        auto tombstone = ParseTombstone(*current);
        if (!tombstone.ok()) return tombstone.status().WithContext(key);
        if (tombstone->generation == g && tombstone->epoch.value_or(record.epoch) == record.epoch) {
          fresh = decided = true;  // ours: an earlier attempt of this trip wrote it
          continue;
        }
        if (tombstone->generation == g) {
          // Generation g of another epoch: a counter deleted by hand, whose
          // verdicts went with it. Taken as consumed there (its stale copy
          // re-created the marker), so this one never counts it again.
          decided = true;
          continue;
        }
        // Another generation listed it. That generation is finished (while
        // it was not, its ids were in flight for us), so its verdict, if it
        // has one, is written.
        auto verdict = trips_.ReadVerdict(barrier, instance_, tombstone->generation);
        if (!verdict.ok()) return verdict.status();
        if (*verdict && (*verdict)->void_trip) {
          // It was void: it consumed nothing. Take the tombstone over. No
          // other generation races us for it: while this trip is unfinished
          // its ids are in flight for every later claimant.
          EB_RETURN_IF_ERROR(ctx_.Put(StateKey::Tombstone(barrier, instance_, ids[taken[j]]), body, false));
          fresh = decided = true;
        } else {
          decided = true;  // consumed by another generation: a stale duplicate
        }
      }
      if (!decided) return Status::Unavailable("tombstone " + key + " kept changing; the trip is re-driven");
      if (!fresh) stale.push_back(ids[taken[j]]);
    }
  }
  StaleVerdict verdict{stale, IsVoid(record, std::set<std::string>(stale.begin(), stale.end()))};
  if (stale.empty()) {
    if (!redriven) return verdict;  // a first attempt: no verdict before it
    // Nothing stale now, but an earlier attempt may have found stale copies
    // whose tombstones expired while this trip stayed unfinished: its verdict
    // stands, or this attempt would count those copies a second time.
    auto stored = trips_.ReadVerdict(barrier, instance_, g);
    if (!stored.ok()) return stored.status();
    return *stored ? **stored : verdict;
  }
  // The first verdict stands: every finisher of this generation uses it.
  Status s = ctx_.Put(StateKey::TripStale(barrier, instance_, g), SerializeStale(verdict), /*if_absent=*/true);
  if (s.ok()) return verdict;
  if (!s.IsAlreadyExists()) return s;
  auto stored = trips_.ReadVerdict(barrier, instance_, g);
  if (!stored.ok()) return stored.status();
  if (!*stored) return Status::Unavailable("the verdict of " + record.IdempotencyKey() + " vanished; re-driven later");
  return **stored;
}

Result<int64_t> TripFinisher::EpochOf(const TripRecord& record) {
  if (!record.epoch_from_witness) return record.epoch;
  const std::string& barrier = shape_.spec().name;
  const StateKey witness_key = StateKey::Epoch(barrier, instance_);
  for (int attempt = 0; attempt < kSettleTries; ++attempt) {
    Status s =
        ctx_.Put(witness_key, SerializeEpochWitness({0, record.claimed_by}), /*if_absent=*/true);
    if (s.ok()) return int64_t{0};  // the counter was never started: epoch 0
    if (!s.IsAlreadyExists())
      return s.WithContext("settling the epoch of " + barrier + "/" + instance_);
    auto body = ctx_.store.Get(ctx_.layout.Encode(witness_key));
    if (!body.ok()) {
      if (body.status().IsNotFound()) continue;  // deleted between our write and our read
      return body.status().WithContext("reading the epoch witness of " + barrier + "/" + instance_);
    }
    auto witness = ParseEpochWitness(*body);
    if (!witness.ok()) return witness.status().WithContext("epoch of " + barrier + "/" + instance_);
    if (witness->claimed_by == record.claimed_by)
      return witness->epoch;  // settled by an earlier attempt
    // The first generation of another counter wrote it, and that counter's
    // records are gone: this one is the next epoch. Every finisher of this
    // record that reads the same witness writes the same body.
    const int64_t next = witness->epoch + 1;
    ctx_.log.Warn(
        "the instance's trip records are gone (deleted by hand?): its generation counter starts "
        "again in a new epoch, whose idempotency keys differ from the old ones",
        {{"barrier", barrier}, {"instance", instance_}, {"epoch", std::to_string(next)}});
    EB_RETURN_IF_ERROR(ctx_.Put(witness_key, SerializeEpochWitness({next, record.claimed_by}),
                                /*if_absent=*/false));
    return next;
  }
  return Status::Unavailable("the epoch witness of " + barrier + "/" + instance_ +
                             " kept vanishing; the trip is re-driven");
}

Result<int64_t> TripFinisher::MarkEpoch(const TripRecord& record) {
  const std::string& barrier = shape_.spec().name;
  auto epoch = EpochOf(record);
  if (!epoch.ok()) return epoch.status();
  if (*epoch > 0) {
    Status s =
        ctx_.Put(StateKey::TripEpoch(barrier, instance_, record.generation, *epoch), kFormatBody,
                 /*if_absent=*/true);
    if (!s.ok() && !s.IsAlreadyExists()) return s;
  }
  // EpochOf wrote the witness of a record that settles its epoch there.
  if (record.generation != 1 || record.epoch_from_witness) return epoch;
  // A first generation claimed with its epoch (by an older engine). Epoch 0
  // only where none was started (a finisher of a deleted epoch 0 never
  // overwrites a later one); a later epoch replaces the one it follows.
  Status s =
      ctx_.Put(StateKey::Epoch(barrier, instance_), SerializeEpochWitness({record.epoch, ""}),
               /*if_absent=*/record.epoch == 0);
  if (!s.ok() && !s.IsAlreadyExists()) return s;
  return epoch;
}

Status TripFinisher::Finish(const TripRecord& claimed, int64_t done_upto, bool redriven,
                            std::vector<TripSummary>* trips, bool* void_out, int64_t* epoch_out) {
  const BarrierSpec& spec = shape_.spec();
  auto epoch = MarkEpoch(claimed);
  if (!epoch.ok()) return epoch.status();
  if (epoch_out != nullptr) *epoch_out = *epoch;
  // The record with its epoch settled: the actions' idempotency key carries it.
  std::optional<TripRecord> settled;
  if (*epoch != claimed.epoch) {
    settled = claimed;
    settled->epoch = *epoch;
  }
  const TripRecord& record = settled ? *settled : claimed;
  auto verdict = Settle(record, redriven);
  if (!verdict.ok()) return verdict.status();
  std::set<std::string> stale(verdict->ids.begin(), verdict->ids.end());
  const bool void_trip = verdict->void_trip;
  if (!stale.empty()) {
    // A copy that came after its original was consumed (a prompt one writes
    // its marker without reading its tombstone): counted nowhere, said here.
    ctx_.log.Warn(
        "late duplicate: the generation listed copies of arrivals an earlier one consumed; "
        "they are not consumed again",
        {{"barrier", spec.name},
         {"instance", instance_},
         {"generation", std::to_string(record.generation)},
         {"stale", std::to_string(stale.size())}});
  }

  TripRecord consumed = record;  // what the generation consumes: the record less stale duplicates
  consumed.arrivals.clear();
  std::vector<std::string> tags, fresh_ids, marker_keys;
  std::set<std::string> fresh_seen;
  for (const auto& c : record.arrivals) {
    bool is_stale = stale.count(c.id) > 0;
    // Stale markers always go; a cyclic barrier also deletes what it consumed
    // so that a/ holds only the open generation (a once instance never trips
    // again: its markers may stay).
    if (is_stale || spec.mode == BarrierMode::kCyclic) marker_keys.push_back(MarkerKey(c));
    if (is_stale) continue;
    if (fresh_seen.insert(c.id).second) fresh_ids.push_back(c.id);
    tags.push_back(c.tag);
    consumed.arrivals.push_back(c);
  }
  DoneRecord done_body;
  done_body.by = ctx_.options.worker_id;
  done_body.redriven = redriven;
  done_body.void_trip = void_trip;
  if (void_trip) {
    // Its arrivals that were not stale stay in a/ for the next generation.
    marker_keys.clear();
    for (const auto& c : record.arrivals) {
      if (stale.count(c.id)) marker_keys.push_back(MarkerKey(c));
    }
  } else {
    // A forced trip runs on_complete: the operator decided the generation is complete enough.
    const auto& actions = record.status == TripStatus::kTimeout ? spec.on_timeout : spec.on_complete;
    for (const auto& action : actions) {
      ActionReport report;
      Status s = ctx_.actions.RunReporting(action, consumed, &report);
      if (!s.ok()) {
        ctx_.log.Error("action failed; the trip stays unfinished and is re-driven",
                       {{"barrier", spec.name}, {"instance", instance_},
                        {"generation", std::to_string(record.generation)}, {"action", action.type},
                        {"error", s.ToString()}});
        return s.WithContext("action " + action.type + " for " + record.IdempotencyKey());
      }
      done_body.actions.push_back({action.type, std::move(report.fields)});
    }
  }
  if (shape_.plan().sharded()) {
    // This generation's hints are spent (late ones go at compaction).
    auto hints = ListAll(ctx_.store, ctx_.layout.HintGenerationPrefix(spec.name, instance_, record.generation));
    if (!hints.ok()) return hints.status();
    for (const auto& h : *hints) marker_keys.push_back(h.key);
  }
  EB_RETURN_IF_ERROR(ctx_.DeleteKeys(marker_keys));
  done_body.at = ctx_.clock.NowMs();
  Status s = ctx_.Put(StateKey::TripDone(spec.name, instance_, record.generation), SerializeDone(done_body), true);
  if (!s.ok() && !s.IsAlreadyExists()) return s;
  // A hint only, every head_every generations: a cold reader then lists at
  // most ~2 x head_every trip keys past it. It stays a valid lower bound
  // because it is written only when every earlier generation is done.
  if (record.generation == done_upto + 1 && record.generation % ctx_.options.head_every == 0) {
    if (ctx_.store.Put(ctx_.layout.Encode(StateKey::Head(spec.name, instance_)), std::to_string(record.generation)).ok()) {
      trips_.SetDoneHint(spec.name, instance_, record.generation);
    }
    // Instances started before epochs existed get their witness here.
    (void)ctx_.store.PutIfAbsent(ctx_.layout.Encode(StateKey::Epoch(spec.name, instance_)),
                                 SerializeEpochWitness({record.epoch, ""}));
  }
  if (void_out != nullptr) *void_out = void_trip;
  if (void_trip) {
    ctx_.log.Warn("generation void: the arrivals that completed it were stale duplicates of consumed ones",
                  {{"barrier", spec.name}, {"instance", instance_},
                   {"generation", std::to_string(record.generation)}, {"stale", std::to_string(stale.size())}});
    return Status::Ok();
  }
  ctx_.log.Info(record.status == TripStatus::kComplete ? "barrier tripped"
                : record.status == TripStatus::kForced ? "barrier forced"
                                                       : "barrier timed out",
                {{"barrier", spec.name}, {"instance", instance_},
                 {"generation", std::to_string(record.generation)},
                 {"objects", std::to_string(consumed.arrivals.size())},
                 {"redriven", redriven ? "true" : "false"}});
  trips->push_back({spec.name, instance_, record.generation, record.status, redriven, consumed.arrivals.size(),
                    record.first_arrival_at, record.claimed_at});
  return Status::Ok();
}

}  // namespace eb
