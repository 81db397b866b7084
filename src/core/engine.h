// The barrier engine: the state protocol of docs/PROTOCOL.md on top of an
// ObjectStore. One Engine per process (or per simulated worker); any number
// of engines, in any number of processes, may share one store.
//
// The engine holds only caches that are safe to lose (immutable trip records,
// "this instance is indexed", the done-generation hint, the state format): a
// crash at any point loses nothing that redelivery or the sweeper cannot finish.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "core/action_runner.h"
#include "core/arrival.h"
#include "core/arrival_filter.h"
#include "core/barrier_shape.h"
#include "core/config.h"
#include "core/engine_context.h"
#include "core/engine_options.h"
#include "core/keys.h"
#include "core/store.h"
#include "core/sweeper.h"
#include "core/trip.h"
#include "core/trip_log.h"

namespace eb {

struct ForceRequest;  // core/evaluator.h

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
  // Of `duplicates`, those that were a late copy of an arrival an earlier
  // generation consumed (its tombstone said so): not counted again.
  int late_duplicates = 0;
  // Of `counted`, arrivals for an instance that tripped for good (a once-mode
  // instance whose trip does not list them): never consumed, logged, and
  // the barrier's on_late actions run (core/late_arrival.h).
  int late = 0;
  bool ignored = false;  // matched no barrier (filtered, state key, other prefix)
  std::vector<IgnoredArrival> ignored_by;  // barriers whose key matched but that do not count it, and why
  int claims_won = 0;    // trip records this arrival's evaluation wrote
  int claims_lost = 0;   // claims another evaluator won first (the losers' cost)
  // Trips whose finishing failed (an action failed): each stays unfinished,
  // noted in t/<gen>.failed-<n>, and is re-driven with backoff. The arrival
  // itself is recorded: the call succeeds (docs/PROTOCOL.md, "Finishing a trip").
  int trip_failures = 0;
  std::vector<TripSummary> trips;
};

class Engine {
 public:
  // `config`, `store`, `actions`, `clock` and `log` must outlive the engine.
  Engine(const Config& config, ObjectStore& store, ActionRunner& actions, Clock& clock,
         Logger& log, EngineOptions options = {});
  ~Engine();

  // Records one arrival and trips every generation it completes.
  // On error (store unavailable) the caller reports failure so the event is
  // redelivered; everything already written stays valid. A failed action is
  // not an error here: the trip it belongs to stays unfinished and is
  // re-driven with backoff (ArrivalOutcome::trip_failures).
  // FailedPrecondition when the state needs `eventbarrier migrate`.
  Result<ArrivalOutcome> OnArrival(const Arrival& arrival);
  // The same with the matches the caller already computed (Match(arrival)).
  Result<ArrivalOutcome> OnArrival(const Arrival& arrival, const std::vector<ArrivalMatch>& matches);

  // The sweeper (core/sweeper.h): re-evaluates the open instances, trips
  // overdue generations with status timeout, re-drives unfinished trips whose
  // lease expired, lets idle instances leave the index; deadline-bounded, and
  // the next sweep goes on where this one stopped.
  // With `compact`, deletes state older than the retention window.
  Result<SweepOutcome> Sweep(bool compact = false);
  Result<SweepOutcome> Sweep(const SweepOptions& options);

  // An operator's `trip --force` on one instance ("_" for a barrier without
  // variables): claims its open generation with status forced through the
  // same PUT-if-absent claim as any trip and finishes it; `request` says what
  // was claimed (nothing: nothing to force). NotFound for a barrier that is
  // not configured, InvalidArgument for an instance that does not fit it.
  Result<std::vector<TripSummary>> Force(const std::string& barrier, const std::string& instance,
                                         ForceRequest* request);

  // Pure: the barrier instances `arrival` counts for. Barriers whose pattern
  // the key matches but that do not count it (arrival_filter.h) go to `ignored`.
  std::vector<ArrivalMatch> Match(const Arrival& arrival, std::vector<IgnoredArrival>* ignored = nullptr) const;

  const KeyLayout& layout() const { return layout_; }

  // Immutable objects held in memory (trip records): bounded, however many
  // trips a long-running process (watch, serve, a warm Lambda) sees.
  size_t CachedObjects() const { return trips_.CachedObjects(); }

 private:
  // Checks once per process that the state is of this engine's format
  // (P/_format), stamping a fresh state.
  Status EnsureFormat();
  // Reads (and creates when missing) the instance's open-index entry unless
  // the cache says it is there, or the sweeper keeps it (SweeperKeepsIndexed:
  // then only the format is checked). The caller notes it in the cache only
  // once it wrote a marker (or found one): the sweeper relies on every cached
  // entry being followed by a write under the instance (core/sweeper.h).
  Status EnsureOpenIndexed(const BarrierSpec& spec, const std::string& instance);
  // What arrival `id`'s tombstone says before its marker is written: the
  // finished, non-void generation that consumed it, or the unfinished one
  // that lists it (0: neither — no tombstone, or a void generation's).
  struct TombstoneRead {
    int64_t consumed_by = 0;
    int64_t unfinished = 0;
  };
  Result<TombstoneRead> ReadTombstone(const std::string& barrier, const std::string& instance,
                                      const std::string& id);
  // True when `arrival` came within options_.prompt_arrival_ms of its event.
  bool IsPromptDelivery(const Arrival& arrival);
  const BarrierShape& ShapeOf(const BarrierSpec& spec);
  std::string NextClaimToken();

  const Config& config_;
  ObjectStore& store_;
  ActionRunner& actions_;
  // The caller's clock moved to the store's time (base/server_time.h).
  StoreTimeClock clock_;
  Logger& log_;
  EngineOptions options_;
  KeyLayout layout_;
  EngineContext ctx_;
  TripLog trips_;
  std::atomic<uint64_t> claims_ = 0;
  bool format_checked_ = false;
  std::map<std::string, TimeMs> open_indexed_;  // open key -> when last seen or written
  std::pair<std::string, TimeMs> index_seen_;   // what the last EnsureOpenIndexed read or wrote
  // Instances whose whole-instance listing was truncated (core/
  // arrival_listing.h): their arrivals list a/ alone. Emptied when it
  // outgrows kMaxMarkersAlone (that costs a longer listing, never correctness).
  std::unordered_set<std::string> markers_alone_;
  static constexpr size_t kMaxMarkersAlone = 65536;
  // Per barrier, derived from the configuration once.
  std::map<std::string, std::unique_ptr<BarrierShape>> shapes_;
};

}  // namespace eb
