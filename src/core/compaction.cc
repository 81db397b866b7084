#include "core/compaction.h"

#include <algorithm>
#include <set>

#include "core/trip_log.h"

namespace eb {

namespace {
constexpr TimeMs kVerdictMargin = 2LL * 24 * 3600 * 1000;  // two days
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
    // trip, nothing younger than the retention.
    if (!k || k->generation >= newest || !gens[k->generation].done || obj.last_modified > cutoff) continue;
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
  const TimeMs cutoff = ctx.clock.NowMs() - ctx.config.state.retention_ms - ctx.options.max_clock_skew_ms;
  ListOptions options;
  options.prefix = ctx.layout.TombstoneRoot();
  int deleted = 0;
  for (;;) {  // page by page: the root may hold millions of keys
    if (deadline_ms > 0 && ctx.clock.NowMs() >= deadline_ms) return deleted;
    auto page = ctx.store.List(options);
    if (!page.ok()) return page.status();
    std::vector<std::string> old;
    for (const auto& obj : page->objects) {
      if (obj.last_modified < cutoff) old.push_back(obj.key);
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
