#include "core/compaction.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "core/trip_log.h"

namespace eb {

namespace {
constexpr TimeMs kDay = 24LL * 3600 * 1000;
constexpr TimeMs kVerdictMargin = 2 * kDay;
// How long before it expires a tombstone has its instance's waiting markers
// looked at: two days (a daily sweep looks twice before S3's lifecycle rule,
// a day after the retention, could expire it), at most half the retention.
constexpr TimeMs kMarkerCheckLead = 2 * kDay;

// The generation a tombstone names (0: none, it expired meanwhile, or it is
// unreadable: written by something else, it tells nothing, and it must not
// fail every later sweep; it expires as any other).
Result<int64_t> TombstoneGeneration(const EngineContext& ctx, const std::string& tombstone_key) {
  auto body = ctx.store.Get(tombstone_key);
  if (!body.ok()) return body.status().IsNotFound() ? Result<int64_t>(int64_t{0}) : body.status();
  auto tombstone = ParseTombstone(*body);
  if (!tombstone.ok()) {
    ctx.log.Warn("unreadable tombstone: its waiting marker is left alone, and it expires as any other",
                 {{"key", tombstone_key}, {"error", tombstone.status().ToString()}});
    return int64_t{0};
  }
  return tombstone->generation;
}

// The ids among `tombstones` (of one cyclic instance, about to expire) whose
// marker is waiting in a/: a copy of a consumed arrival re-created it (a
// prompt copy does not read its tombstone; any copy may come while its own
// trip runs). The next generation would settle it stale, but only while the
// tombstone exists, and a barrier may trip less often than the retention,
// while S3's lifecycle rule expires the tombstone a day after it whatever
// this sweep keeps. So a marker whose tombstone says consumed (by a finished
// generation that was not void) is deleted here, and its tombstone kept for
// this sweep. Left alone: a marker whose tombstone names an unfinished
// generation, or that an unfinished generation may list (its record is not
// older than the marker): that generation's own settling decides, and its
// tombstone stays. A tombstone naming a void generation says nothing: its
// arrival is fresh, and the tombstone expires as any other (kept, it could
// outlive the verdict that says void), and so does one naming a generation
// whose records are compacted (a first look after the compaction; daily
// sweeps look from two days before the retention ends, before it). Returns
// the ids whose tombstones stay; `*deleted` counts the markers deleted.
Result<std::set<std::string>> SettleWaitingMarkers(const EngineContext& ctx, const std::string& barrier,
                                                   const std::string& instance,
                                                   const std::map<std::string, const ObjectInfo*>& tombstones,
                                                   int* deleted) {
  std::set<std::string> kept;
  auto markers = ListAll(ctx.store, ctx.layout.ArrivalPrefix(barrier, instance));
  if (!markers.ok()) return markers.status();
  std::map<std::string, const ObjectInfo*> waiting;  // id -> marker
  for (const auto& obj : *markers) {
    auto k = ctx.layout.Decode(obj.key);
    if (k && k->kind == StateKeyKind::kArrival && tombstones.count(k->id))
      waiting.emplace(k->id, &obj);
  }
  if (waiting.empty()) return kept;
  auto trips = ListAll(ctx.store, ctx.layout.TripPrefix(barrier, instance));
  if (!trips.ok()) return trips.status();
  const auto gens = ScanTripKeys(ctx.layout, *trips);
  TimeMs newest_unfinished_claim = -1;  // store time of the newest unfinished record
  for (const auto& obj : *trips) {
    auto k = ctx.layout.Decode(obj.key);
    if (k && k->kind == StateKeyKind::kTrip && !gens.at(k->generation).done) {
      newest_unfinished_claim = std::max(newest_unfinished_claim, obj.last_modified);
    }
  }
  std::vector<std::string> stale;
  for (const auto& [id, marker] : waiting) {
    auto named = TombstoneGeneration(ctx, tombstones.at(id)->key);
    if (!named.ok()) return named.status();
    if (*named == 0) continue;  // expired meanwhile, or unreadable
    auto g = gens.find(*named);
    // An unfinished generation claimed since the marker was written may list
    // it: its own settling decides, while the tombstone lives.
    const bool may_be_listed = newest_unfinished_claim >= marker->last_modified;
    if (g == gens.end() || (!g->second.done && !g->second.stale)) {
      // Its generation compacted (or of another epoch): nothing tells here
      // whether it was void. Left to the settling of the generation that
      // lists the marker, as before this look existed.
      if (may_be_listed) kept.insert(id);
      continue;
    }
    if (!g->second.done) {
      kept.insert(id);  // unfinished: its own trip settles it
      continue;
    }
    if (g->second.stale) {  // a void generation always has a verdict
      auto verdict = ReadStoredVerdict(ctx, barrier, instance, *named);
      if (!verdict.ok()) return verdict.status();
      if (!verdict->has_value()) continue;  // compacted meanwhile
      if ((*verdict)->void_trip) continue;  // not consumed: a fresh arrival
    }
    kept.insert(id);
    if (!may_be_listed) stale.push_back(marker->key);
  }
  if (stale.empty()) return kept;
  ctx.log.Warn("deleting copies of consumed arrivals that were waiting for the next generation",
               {{"barrier", barrier}, {"instance", instance}, {"markers", std::to_string(stale.size())}});
  EB_RETURN_IF_ERROR(ctx.DeleteKeys(stale));
  *deleted += static_cast<int>(stale.size());
  return kept;
}
}  // namespace

Result<int> CompactInstance(const EngineContext& ctx, const BarrierShape& shape, const std::string& instance) {
  const std::string& barrier = shape.spec().name;
  auto trips = ListAll(ctx.store, ctx.layout.TripPrefix(barrier, instance));
  if (!trips.ok()) return trips.status();
  auto hints = ListAll(ctx.store, ctx.layout.HintPrefix(barrier, instance));
  if (!hints.ok()) return hints.status();
  return CompactListed(ctx, *trips, *hints);
}

Result<int> CompactListed(const EngineContext& ctx, const std::vector<ObjectInfo>& trips,
                          const std::vector<ObjectInfo>& hints) {
  const TimeMs now = ctx.clock.NowMs();
  const TimeMs cutoff = now - ctx.config.state.retention_ms;
  auto gens = ScanTripKeys(ctx.layout, trips);
  int64_t newest = 0;
  for (const auto& [gen, g] : gens) {
    if (g.record) newest = std::max(newest, gen);
  }
  std::vector<std::string> old;
  for (const auto& obj : trips) {
    auto k = ctx.layout.Decode(obj.key);
    // Never the newest record (the generation counter), never an unfinished
    // trip, nothing younger than the retention. A generation whose record
    // and .done are gone was compacted: what is left of it (its verdict) goes.
    if (!k || k->generation >= newest || obj.last_modified > cutoff) continue;
    if (const GenerationKeys& g = gens[k->generation]; g.record && !g.done) continue;
    // A verdict outlives the tombstones that name its generation (S3's
    // lifecycle expires those at the next midnight after the retention): a
    // void generation's tombstone without its verdict would look consumed.
    if (k->kind == StateKeyKind::kTripStale && obj.last_modified > cutoff - kVerdictMargin) continue;
    old.push_back(obj.key);
  }
  // Shard hints of claimed generations: never listed again (a late writer
  // may add one after its generation's trip deleted the others).
  for (const auto& obj : hints) {
    auto k = ctx.layout.Decode(obj.key);
    if (k && k->kind == StateKeyKind::kShardHint && k->generation <= newest) old.push_back(obj.key);
  }
  EB_RETURN_IF_ERROR(ctx.DeleteKeys(old));
  return static_cast<int>(old.size());
}

Result<int> ExpireTombstones(const EngineContext& ctx, TimeMs deadline_ms, bool* finished) {
  if (finished != nullptr) *finished = false;
  // Promise 2 holds for a duplicate delivered within the retention of the
  // arrival's consumption. A tombstone goes only once the store's own
  // timestamp is older than the retention plus the clock skew tolerated, so
  // a process whose clock runs fast never expires one early.
  const TimeMs retention = ctx.config.state.retention_ms;
  const TimeMs cutoff = ctx.clock.NowMs() - retention - ctx.options.max_clock_skew_ms;
  const TimeMs check_from = ctx.clock.NowMs() - retention + std::min(kMarkerCheckLead, retention / 2);
  ListOptions options;
  options.prefix = ctx.layout.TombstoneRoot();
  int deleted = 0;
  // The open index, listed once when first needed: only an indexed instance
  // can have a marker waiting (an arrival indexes its instance before it
  // writes its marker, an instance leaves only when its probe shows none,
  // and one an arrival raced is indexed again by the sweeper's recheck
  // minutes later; the instance of a cyclic barrier without variables is
  // looked at whatever the index says), so an idle instance costs its
  // tombstones' look nothing.
  std::optional<std::set<std::string>> indexed;
  for (;;) {  // page by page: the root may hold millions of keys
    if (deadline_ms > 0 && ctx.clock.NowMs() >= deadline_ms) return deleted;
    auto page = ctx.store.List(options);
    if (!page.ok()) return page.status();
    std::vector<std::string> old;
    // Tombstones of cyclic instances near or past expiry, by instance.
    struct Checked {
      const BarrierSpec* spec = nullptr;
      std::map<std::string, const ObjectInfo*> tombstones;  // id -> tombstone
    };
    std::map<std::pair<std::string, std::string>, Checked> checked;
    for (const auto& obj : page->objects) {
      if (obj.last_modified >= check_from) continue;
      auto k = ctx.layout.Decode(obj.key);
      const BarrierSpec* spec = k ? ctx.config.Find(k->barrier) : nullptr;
      // A once instance keeps the markers it consumed: a copy finds those.
      if (spec != nullptr && spec->mode == BarrierMode::kCyclic && k->kind == StateKeyKind::kTombstone) {
        Checked& c = checked[{k->barrier, k->instance}];
        c.spec = spec;
        c.tombstones.emplace(k->id, &obj);
      } else if (obj.last_modified < cutoff) {
        old.push_back(obj.key);
      }
    }
    for (const auto& [instance, c] : checked) {
      if (!indexed) {
        auto open = ListAll(ctx.store, ctx.layout.OpenPrefix());
        if (!open.ok()) return open.status();
        indexed.emplace();
        for (const auto& obj : *open) indexed->insert(obj.key);
      }
      Result<std::set<std::string>> kept = std::set<std::string>{};
      if (SweeperKeepsIndexed(*c.spec) ||
          indexed->count(ctx.layout.Encode(StateKey::Open(instance.first, instance.second)))) {
        kept = SettleWaitingMarkers(ctx, instance.first, instance.second, c.tombstones, &deleted);
      }
      if (!kept.ok()) return kept.status();
      for (const auto& [id, tombstone] : c.tombstones) {
        if (tombstone->last_modified < cutoff && !kept->count(id)) old.push_back(tombstone->key);
      }
    }
    EB_RETURN_IF_ERROR(ctx.DeleteKeys(old));
    deleted += static_cast<int>(old.size());
    if (page->next_continuation.empty()) break;
    options.continuation = page->next_continuation;
  }
  if (finished != nullptr) *finished = true;
  return deleted;
}

}  // namespace eb
