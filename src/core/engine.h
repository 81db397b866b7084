// The barrier engine: the state protocol of docs/PROTOCOL.md on top of an
// ObjectStore. One Engine per process (or per simulated worker); any number
// of engines, in any number of processes, may share one store.
//
// The engine holds only caches that are safe to lose (immutable trip records,
// "this instance is indexed", the done-generation hint): a crash at any point
// loses nothing that redelivery or the sweeper cannot finish.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "core/action_runner.h"
#include "core/arrival.h"
#include "core/arrival_filter.h"
#include "core/config.h"
#include "core/keys.h"
#include "core/shards.h"
#include "core/store.h"
#include "core/trip.h"

namespace eb {

struct EngineOptions {
  // Identifies this process in claim records ("host-pid" or a simulated worker).
  std::string worker_id = "worker";
  // How often a Conflict (409) on one store call is retried before giving up.
  int conflict_retries = 8;
  // A redelivery of the event that claimed an unfinished trip re-drives it
  // only once the trip has been idle this long (a concurrent duplicate of a
  // live claimant would otherwise run its actions a second time).
  TimeMs resume_grace_ms = 30 * 1000;
  // Generations between consumed-window checkpoints and done hints (see PROTOCOL.md).
  int64_t checkpoint_every = 16;
  // How long "this instance is in the open index" is trusted without rewriting it.
  TimeMs open_cache_ttl_ms = 60 * 60 * 1000;
  // Barriers needing more members (or distinct keys) than this keep their
  // markers in shards of at most this many members, so an arrival lists one
  // shard, not the whole barrier (PROTOCOL.md, "Wide barriers"). One LIST
  // page holds 1,000 keys; <= 0 never shards.
  int shard_size = 1000;
};

struct TripSummary {
  std::string barrier;
  std::string instance;
  int64_t generation = 0;
  TripStatus status = TripStatus::kComplete;
  bool redriven = false;  // finished someone else's unfinished trip
  size_t objects = 0;
  TimeMs first_arrival_at = 0;  // the trip record's: first arrival to claim is the trip latency
  TimeMs claimed_at = 0;
};

// Which barrier instance an arrival counts for, and as which member.
struct ArrivalMatch {
  const BarrierSpec* barrier = nullptr;
  Bindings bindings;
  std::string instance;
  std::string member;  // the member pattern text (or the count prefix)
  std::string tag;     // MemberTag(member) or, for count latches, MemberTag(key)
};

struct ArrivalOutcome {
  int counted = 0;     // barrier instances the arrival counted for (new markers)
  int duplicates = 0;  // barrier instances whose marker already existed
  bool ignored = false;  // matched no barrier (filtered, state key, other prefix)
  std::vector<IgnoredArrival> ignored_by;  // barriers whose key matched but that do not count it, and why
  int claims_won = 0;    // trip records this arrival's evaluation wrote
  int claims_lost = 0;   // claims another evaluator won first (the losers' cost)
  std::vector<TripSummary> trips;
};

struct SweepOutcome {
  int instances = 0;  // open instances examined
  int removed_from_index = 0;
  int compacted = 0;  // old state objects deleted
  std::vector<TripSummary> trips;
};

class Engine {
 public:
  // `config`, `store`, `actions`, `clock` and `log` must outlive the engine.
  Engine(const Config& config, ObjectStore& store, ActionRunner& actions, Clock& clock,
         Logger& log, EngineOptions options = {});
  ~Engine();

  // Records one arrival and trips every generation it completes.
  // On error (store unavailable, an action failed) the caller reports failure
  // so the event is redelivered; everything already written stays valid.
  Result<ArrivalOutcome> OnArrival(const Arrival& arrival);

  // The sweeper: re-evaluates every open instance, trips overdue generations
  // with status timeout, re-drives unfinished trips whose lease expired.
  // With `compact`, deletes state older than the retention window.
  Result<SweepOutcome> Sweep(bool compact = false);

  // Pure: the barrier instances `arrival` counts for. Barriers whose pattern
  // the key matches but that do not count it (arrival_filter.h) go to `ignored`.
  std::vector<ArrivalMatch> Match(const Arrival& arrival, std::vector<IgnoredArrival>* ignored = nullptr) const;

  const KeyLayout& layout() const { return layout_; }

  // Immutable objects held in memory (trip records, window checkpoints,
  // consumed-id sets): bounded, however many trips a long-running process
  // (watch, serve, a warm Lambda) sees.
  size_t CachedObjects() const {
    return trip_cache_.size() + window_cache_.size() + record_ids_cache_.size();
  }
  static constexpr size_t kMaxCachedRecords = 256;     // trip records, and their id sets
  static constexpr size_t kMaxCachedCheckpoints = 16;  // each may hold a long window

 private:
  // Empties a cache that outgrew its bound. Called only where no evaluation
  // holds pointers into the caches (the start of OnArrival and Sweep);
  // emptying costs a re-read of immutable objects, never correctness.
  void TrimCaches();

  class Evaluator;
  friend class Evaluator;

  const Config& config_;
  ObjectStore& store_;
  ActionRunner& actions_;
  Clock& clock_;
  Logger& log_;
  EngineOptions options_;
  KeyLayout layout_;
  uint64_t claims_ = 0;

  // Safe-to-lose caches.
  std::map<std::string, TripRecord> trip_cache_;    // full key -> immutable record
  struct WindowCheckpoint {
    std::vector<ConsumedWindowEntry> entries;
    std::unordered_set<std::string> ids;
  };
  std::map<std::string, WindowCheckpoint> window_cache_;  // checkpoint key -> contents
  // Trip record key -> its own ids and its window's (see TripView::IsConsumed).
  std::map<std::string, std::unordered_set<std::string>> record_ids_cache_;
  std::map<std::string, int64_t> done_hint_;        // instance prefix -> all gens <= n done
  std::map<std::string, TimeMs> open_indexed_;      // open key -> when written

  // Per barrier, derived from the configuration once (10,000 members: a set
  // built per arrival would cost more than the arrival's requests).
  std::map<std::string, ShardPlan> plans_;                      // its sharding
  std::map<std::string, std::set<std::string>> member_tag_sets_;  // its member tags

  const ShardPlan& PlanFor(const BarrierSpec& spec);
  const std::set<std::string>& MemberTagsOf(const BarrierSpec& spec);
  std::string NextClaimToken();
  Status EnsureOpenIndexed(const std::string& barrier, const std::string& instance);
};

}  // namespace eb
