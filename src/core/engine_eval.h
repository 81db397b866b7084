// The protocol for one barrier instance (internal to the engine; see docs/PROTOCOL.md).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/engine.h"

namespace eb {

class Engine::Evaluator {
 public:
  // `trigger` is the arrival id being processed, or "sweep".
  Evaluator(Engine& engine, const BarrierSpec& spec, std::string instance, Bindings bindings,
            std::string trigger);

  struct RunOptions {
    // Markers already listed by the caller (saves one LIST on the arrival path).
    std::optional<std::vector<ObjectInfo>> markers;
    // Load trip records even if the markers cannot complete a generation
    // (a redelivered event may have to finish its own interrupted trip).
    bool always_load_trips = false;
    // Sweeper: re-drive by lease, trip overdue generations with status timeout.
    bool sweeping = false;
  };

  // The marker this evaluation's own arrival wrote (saves reading it back).
  void set_own_marker(ConsumedArrival marker) { own_marker_ = std::move(marker); }

  // Evaluates the instance until no further generation can trip now.
  Status Run(RunOptions options, std::vector<TripSummary>* trips);

  // The arrival path of a sharded barrier: `shard_markers` is the LIST of the
  // arrival's own shard. Publishes the shard's hint once it counts, and runs
  // the full evaluation (Run) only when the hints of the next generation say
  // the barrier may be complete, or for a duplicate delivery whose own trip is
  // the latest or while a trip is unfinished (it may have to finish them).
  Status RunFromShard(int shard, std::vector<ObjectInfo> shard_markers, bool duplicate,
                      std::vector<TripSummary>* trips);

  // After Run: true when the instance can never trip again (a once-mode
  // instance whose trip is done), so the sweeper may drop it from the index.
  bool finished() const { return finished_; }
  // After Run: markers still in a/ (for index maintenance).
  size_t open_markers() const { return open_markers_; }

  // Deletes done trip records (never the newest) and their attempt markers
  // older than the retention window. Returns objects deleted.
  Result<int> Compact();

 private:
  struct Undone {
    int64_t generation = 0;
    int attempts = 0;
    TimeMs last_activity = 0;
  };
  struct TripView {
    int64_t last_generation = 0;  // highest claimed generation (0: none ever)
    int64_t done_upto = 0;        // every generation <= this is done
    std::vector<Undone> undone;
    const TripRecord* latest = nullptr;  // record of last_generation
    const std::unordered_set<std::string>* checkpoint_ids = nullptr;  // its window checkpoint
    // The latest record's own ids and its window's, for O(1) lookups: a wide
    // barrier's record holds ~10,000 ids and its window up to 16x that.
    const std::unordered_set<std::string>* recent_ids = nullptr;
    // True if `id` was consumed by any generation within the retention window:
    // the latest record's own ids, its window and its checkpoint (which
    // together cover every earlier record).
    bool IsConsumed(const std::string& id) const;
  };
  struct Candidate {
    ObjectInfo info;
    StateKey key;
  };
  enum class ClaimOutcome { kWon, kLost, kRetry };

  Result<TripView> LoadTrips();
  Result<int64_t> DoneHint();
  Result<const TripRecord*> ReadTrip(int64_t generation);
  Result<const Engine::WindowCheckpoint*> ReadWindow(const std::string& key);
  // The consumed window the record of generation `generation` must carry.
  Status BuildWindow(const TripView& view, TripRecord* record);
  Status RedriveEligible(const TripView& view, bool may_resume, std::vector<TripSummary>* trips, bool* any);
  // Splits markers into candidates and stale ones (ids already consumed).
  std::vector<Candidate> Unconsumed(const std::vector<ObjectInfo>& markers, const TripView& view,
                                    std::vector<std::string>* stale) const;
  bool Covers(const std::vector<Candidate>& candidates) const;
  std::vector<std::string> Missing(const std::vector<Candidate>& candidates) const;
  Result<ClaimOutcome> Claim(const TripView& view, const std::vector<Candidate>& candidates,
                             TripStatus status, std::vector<std::string> missing,
                             TripRecord* claimed);
  Status Finish(const TripRecord& record, int64_t done_upto, bool redriven,
                std::vector<TripSummary>* trips);
  // Distinct members present per shard among `candidates`.
  std::map<int, int64_t> DistinctPerShard(const std::vector<Candidate>& candidates) const;
  // Writes the hints of `generation` for `counts` (shard -> distinct members,
  // only those the plan publishes), then lists that generation's hints:
  // true when they say the barrier may be complete.
  Result<bool> PublishHints(int64_t generation, const std::map<int, int64_t>& counts);
  Status RetryPut(const std::string& key, const std::string& body, bool if_absent);
  Status DeleteKeys(const std::vector<std::string>& keys);

  Engine& e_;
  const BarrierSpec& spec_;
  std::string instance_;
  Bindings bindings_;
  std::string trigger_;
  const std::set<std::string>& member_tags_;
  const ShardPlan& plan_;
  std::string arrival_prefix_;
  std::optional<ConsumedArrival> own_marker_;
  bool finished_ = false;
  size_t open_markers_ = 0;
};

}  // namespace eb
