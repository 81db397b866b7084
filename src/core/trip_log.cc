#include "core/trip_log.h"

#include <algorithm>
#include <cstdlib>

namespace eb {

Status NeedsMigration(const std::string& what) {
  return Status::FailedPrecondition(
      what +
      " was written by an older eventbarrier (state format 1, which carried a consumed window); "
      "stop every worker and run `eventbarrier migrate --config FILE` once, then start them again "
      "(docs/PROTOCOL.md, \"State format\")");
}

std::map<int64_t, GenerationKeys> ScanTripKeys(const KeyLayout& layout,
                                               const std::vector<ObjectInfo>& listed) {
  std::map<int64_t, GenerationKeys> gens;
  for (const auto& obj : listed) {
    auto k = layout.Decode(obj.key);
    if (!k) continue;
    GenerationKeys& g = gens[k->generation];
    g.last_activity = std::max(g.last_activity, obj.last_modified);
    switch (k->kind) {
      case StateKeyKind::kTrip:
        g.record = true;
        break;
      case StateKeyKind::kTripDone:
        g.done = true;
        break;
      case StateKeyKind::kTripStale:
        g.stale = true;
        break;
      case StateKeyKind::kTripAttempt:
        g.attempts = std::max(g.attempts, k->attempt);
        break;
      case StateKeyKind::kTripRerun:
        g.reruns = std::max(g.reruns, k->attempt);
        break;
      case StateKeyKind::kTripFailed:
        ++g.failures;
        g.last_failed = std::max(g.last_failed, k->attempt);
        break;
      case StateKeyKind::kTripEpoch:
        g.epoch = std::max(g.epoch, k->epoch);
        break;
      default:
        break;
    }
  }
  return gens;
}

TimeMs RedriveBackoffMs(TimeMs lease_ms, int attempt) {
  if (lease_ms <= 0) return 0;  // no lease: re-driven at once, every time
  const TimeMs cap = std::max(lease_ms, kMaxRedriveBackoffMs);
  TimeMs wait = lease_ms;
  for (int n = 1; n < attempt && wait < cap; ++n) wait *= 2;
  return std::min(wait, cap);
}

Result<int64_t> TripLog::DoneHint(const std::string& barrier, const std::string& instance) {
  std::string prefix = ctx_.layout.InstancePrefix(barrier, instance);
  if (auto it = done_hint_.find(prefix); it != done_hint_.end()) return it->second;
  auto body = ctx_.store.Get(ctx_.layout.Encode(StateKey::Head(barrier, instance)));
  int64_t hint = 0;
  if (body.ok()) {
    hint = std::atoll(body->c_str());
  } else if (!body.status().IsNotFound()) {
    return body.status();
  }
  done_hint_[prefix] = hint;
  return hint;
}

void TripLog::SetDoneHint(const std::string& barrier, const std::string& instance,
                          int64_t generation) {
  int64_t& hint = done_hint_[ctx_.layout.InstancePrefix(barrier, instance)];
  hint = std::max(hint, generation);
}

Result<const TripRecord*> TripLog::Read(const std::string& barrier, const std::string& instance,
                                        int64_t generation) {
  std::string key = ctx_.layout.Encode(StateKey::Trip(barrier, instance, generation));
  if (auto it = records_.find(key); it != records_.end()) return &it->second;
  auto body = ctx_.store.Get(key);
  if (!body.ok()) return body.status().WithContext("reading trip record " + key);
  auto record = ParseTrip(*body);
  if (!record.ok()) return record.status().WithContext(key);
  if (record->format < kStateFormat) return NeedsMigration("trip record " + key);
  auto [it, inserted] = records_.emplace(key, std::move(*record));
  return &it->second;
}

Result<const TripRecord*> TripLog::ReadFresh(const std::string& barrier,
                                             const std::string& instance, int64_t generation) {
  records_.erase(ctx_.layout.Encode(StateKey::Trip(barrier, instance, generation)));
  return Read(barrier, instance, generation);
}

void TripLog::Remember(const TripRecord& record) {
  records_[ctx_.layout.Encode(StateKey::Trip(record.barrier, record.instance, record.generation))] =
      record;
}

Result<std::optional<StaleVerdict>> ReadStoredVerdict(const EngineContext& ctx,
                                                      const std::string& barrier,
                                                      const std::string& instance,
                                                      int64_t generation) {
  std::string key = ctx.layout.Encode(StateKey::TripStale(barrier, instance, generation));
  auto body = ctx.store.Get(key);
  if (!body.ok()) {
    if (body.status().IsNotFound()) return std::optional<StaleVerdict>();
    return body.status().WithContext("reading " + key);
  }
  auto verdict = ParseStale(*body);
  if (!verdict.ok()) return verdict.status().WithContext(key);
  return std::optional<StaleVerdict>(std::move(*verdict));
}

Result<std::optional<StaleVerdict>> TripLog::ReadVerdict(const std::string& barrier,
                                                         const std::string& instance,
                                                         int64_t generation) {
  std::string key = ctx_.layout.Encode(StateKey::TripStale(barrier, instance, generation));
  if (auto it = verdicts_.find(key); it != verdicts_.end())
    return std::optional<StaleVerdict>(it->second);
  auto verdict = ReadStoredVerdict(ctx_, barrier, instance, generation);
  if (verdict.ok() && verdict->has_value()) verdicts_[key] = **verdict;
  return verdict;
}

void TripLog::Trim() {
  if (records_.size() > kMaxCachedRecords) records_.clear();
  if (verdicts_.size() > kMaxCachedRecords) verdicts_.clear();
  if (listed_stamps_.size() > 2 * kMaxCachedRecords) listed_stamps_.clear();
}

bool TripLog::Shows(const std::string& key, const TripRecord& cached, TimeMs listed) {
  if (auto stamp = listed_stamps_.find(key); stamp != listed_stamps_.end())
    return stamp->second == listed;
  // Written (claimed) by this process, not listed since: the listed object is
  // that claim if it was stamped when the claim was made (the store's margin,
  // at least a second: the PUT itself takes time; a folder deleted by hand and
  // claimed again takes far longer).
  if (std::llabs(listed - cached.claimed_at) > std::max<TimeMs>(ctx_.StampMarginMs(), 1000))
    return false;
  listed_stamps_[key] = listed;
  return true;
}

bool TripLog::Shows(const std::string& key, const StaleVerdict&, TimeMs listed) {
  auto stamp = listed_stamps_.find(key);
  return stamp != listed_stamps_.end() && stamp->second == listed;
}

namespace {
// The LastModified of `key` in a listing (sorted by key, as LIST returns it).
const ObjectInfo* FindListed(const std::vector<ObjectInfo>& listed, const std::string& key) {
  auto it = std::lower_bound(listed.begin(), listed.end(), key,
                             [](const ObjectInfo& o, const std::string& k) { return o.key < k; });
  return it != listed.end() && it->key == key ? &*it : nullptr;
}
}  // namespace

void TripLog::DropChanged(const std::string& barrier, const std::string& instance, int64_t hint,
                          const std::vector<ObjectInfo>& listed) {
  const std::string prefix = ctx_.layout.TripPrefix(barrier, instance);
  // Generations up to the hint are not in the listing (done, and never read
  // again): the keys of later ones sort from the record of hint + 1 on.
  const std::string from =
      hint > 0 ? ctx_.layout.Encode(StateKey::Trip(barrier, instance, hint + 1)) : prefix;
  auto drop = [&](auto& cache) {
    for (auto it = cache.lower_bound(from); it != cache.end() && it->first.rfind(prefix, 0) == 0;) {
      const ObjectInfo* seen = FindListed(listed, it->first);
      if (seen != nullptr && Shows(it->first, it->second, seen->last_modified)) {
        ++it;
        continue;
      }
      listed_stamps_.erase(it->first);
      it = cache.erase(it);
    }
  };
  drop(records_);
  drop(verdicts_);
}

void TripLog::Forget(const std::string& barrier, const std::string& instance) {
  std::string prefix = ctx_.layout.InstancePrefix(barrier, instance);
  done_hint_[prefix] = 0;
  auto drop = [&prefix](auto& cache) {
    for (auto it = cache.lower_bound(prefix);
         it != cache.end() && it->first.rfind(prefix, 0) == 0;) {
      it = cache.erase(it);
    }
  };
  drop(records_);
  drop(verdicts_);
  drop(listed_stamps_);
}

bool TripLog::KnowsInstance(const std::string& barrier, const std::string& instance) const {
  return done_hint_.count(ctx_.layout.InstancePrefix(barrier, instance)) > 0;
}

Result<TripView> TripLog::Load(const std::string& barrier, const std::string& instance,
                               std::optional<std::vector<ObjectInfo>> whole_trips) {
  Result<std::vector<ObjectInfo>> listed = std::vector<ObjectInfo>{};
  Result<int64_t> hint = int64_t{0};
  bool whole = false;  // `listed` is the whole of t/, from one page
  if (!KnowsInstance(barrier, instance)) {
    // No hint yet (a cold process): one page of t/ from the start first. A
    // history that fits in it (an instance younger than a few hundred
    // generations within the retention, every once instance) needs no
    // `head`; a longer one costs that page more than the hint's GET.
    ListPage page;
    if (whole_trips) {
      page.objects = std::move(*whole_trips);
    } else {
      ListOptions first;
      first.prefix = ctx_.layout.TripPrefix(barrier, instance);
      auto listed_page = ctx_.store.List(first);
      if (!listed_page.ok()) return listed_page.status();
      page = std::move(*listed_page);
    }
    if (page.next_continuation.empty()) {
      // Every generation below the first record listed is done: compaction
      // deletes only done records (generation keys sort by generation).
      int64_t below_first = 0;
      for (const auto& obj : page.objects) {
        auto k = ctx_.layout.Decode(obj.key);
        if (k && k->kind == StateKeyKind::kTrip) {
          below_first = k->generation - 1;
          break;
        }
      }
      listed = std::move(page.objects);
      SetDoneHint(barrier, instance, below_first);
      hint = below_first;
      whole = true;
    }
  }
  if (!whole) {
    hint = DoneHint(barrier, instance);
    if (!hint.ok()) return hint.status();
    // From the hint's own record key on, so that the hint's `.done` is listed
    // too: the newest generation is never compacted and the hint is never past
    // it, so a listing with no key at all means the counter the hint belongs
    // to was deleted by hand (a cached hint, or `head` kept while `t/` went).
    std::string start_after;
    if (*hint > 0) start_after = ctx_.layout.Encode(StateKey::Trip(barrier, instance, *hint));
    listed = ListAll(ctx_.store, ctx_.layout.TripPrefix(barrier, instance), start_after);
    if (!listed.ok()) return listed.status();
  }
  if (*hint > 0 && listed->empty()) {
    ctx_.log.Warn(
        "the instance's trip records are gone (deleted by hand?): what this process knew of them "
        "is dropped and they are read again from the start",
        {{"barrier", barrier}, {"instance", instance}, {"done_hint", std::to_string(*hint)}});
    Forget(barrier, instance);
    *hint = 0;
    listed = ListAll(ctx_.store, ctx_.layout.TripPrefix(barrier, instance));
    if (!listed.ok()) return listed.status();
  }
  DropChanged(barrier, instance, *hint, *listed);
  TripView view;
  view.last_generation = *hint;
  view.done_upto = *hint;
  auto gens = ScanTripKeys(ctx_.layout, *listed);
  for (const auto& [gen, g] : gens) {
    if (!g.record) continue;
    view.last_generation = std::max(view.last_generation, gen);
    if (g.done && gen == view.done_upto + 1) view.done_upto = gen;
    if (g.done) view.last_done_at = std::max(view.last_done_at, g.last_activity);
    if (!g.done)
      view.unfinished.push_back({gen, g.attempts, g.last_activity, g.stale, g.last_failed});
  }
  // What this listing proves done is a hint too: without it a process would
  // keep listing from the hint it read (or wrote) itself, however many
  // generations other processes finished since (and wrote `head` for).
  if (view.done_upto > *hint) SetDoneHint(barrier, instance, view.done_upto);
  for (const UnfinishedTrip& u : view.unfinished) {
    auto record = Read(barrier, instance, u.generation);
    if (!record.ok()) return record.status();
    const std::string record_key =
        ctx_.layout.Encode(StateKey::Trip(barrier, instance, u.generation));
    if (const ObjectInfo* seen = FindListed(*listed, record_key)) {
      listed_stamps_[record_key] = seen->last_modified;
    }
    for (const auto& c : (*record)->arrivals) view.in_flight.insert(c.id);
    if (u.generation == view.last_generation) {
      view.last_epoch = (*record)->epoch_from_witness ? kEpochUnsettled : (*record)->epoch;
    }
  }
  // A finished generation's epoch is in its key (t/<head>.epoch-<e> sorts after the
  // hint's t/<head>.done, so it is listed too); an unfinished one's in its record,
  // or for a first generation whose finisher settles it, in its key once settled.
  if (auto it = gens.find(view.last_generation); it != gens.end() && it->second.epoch > 0) {
    view.last_epoch = it->second.epoch;
  }
  return view;
}

}  // namespace eb
