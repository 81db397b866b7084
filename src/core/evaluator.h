// The protocol for one barrier instance (docs/PROTOCOL.md): decide from one
// LIST of a/ whether a generation can trip, claim it with PUT-if-absent
// naming the arrivals the listing showed, and hand the won claim to the
// TripFinisher. Also re-drives unfinished trips that are due, and in a
// barrier wider than the shard size publishes and reads the shard hints.
//
// Short-lived: one per arrival and instance, or per instance in a sweep.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/barrier_shape.h"
#include "core/engine_context.h"
#include "core/trip.h"
#include "core/trip_finisher.h"
#include "core/trip_log.h"

namespace eb {

// An operator's `eventbarrier trip --force`: claim the open generation now,
// complete or not, through the same PUT-if-absent claim as any trip.
struct ForceRequest {
  std::string by;      // who forced it (goes into the record)
  std::string reason;  // why (goes into the record)
  bool dry_run = false;  // build the claim, write nothing
  // Out: the record claimed (or, on a dry run, the one that would be).
  std::optional<TripRecord> claim;
  // Out: another claimant took the open generation first (its record in `claim`).
  bool lost = false;
};

// An arrival for an instance that tripped for good: a once-mode instance
// whose trip does not list it. It is never consumed (docs/OPERATORS.md,
// "Late arrivals").
struct LateArrival {
  TripRecord record;  // for on_late: the tripped generation, status late, the late arrival
  TripStatus tripped_as = TripStatus::kComplete;  // how that generation tripped
};

struct EvaluationCounts {
  int claims_won = 0;
  int claims_lost = 0;
  int redrives = 0;  // re-drive attempts this evaluation won (t/<gen>.attempt-<n>)
  // Trips this evaluation failed to finish (an action failed, or the store
  // while finishing): each stays unfinished, noted in t/<gen>.failed-<n>, and
  // is re-driven with backoff while the evaluation goes on.
  int trip_failures = 0;
};

class InstanceEvaluator {
 public:
  // `trigger` is the arrival id being processed, or "sweep"; `claim_token`
  // makes each claim's `claimed_by` unique.
  InstanceEvaluator(const EngineContext& ctx, TripLog& trips, const BarrierShape& shape, std::string instance,
                    Bindings bindings, std::string trigger, std::function<std::string()> claim_token);

  struct RunOptions {
    // Markers already listed by the caller (saves one LIST on the arrival path),
    // and the engine clock's time no later than that LIST was sent.
    std::optional<std::vector<ObjectInfo>> markers;
    TimeMs markers_listed_at = 0;
    // Every key under t/ from the same LIST (a cold process lists the whole
    // instance, core/arrival_listing.h): the first LIST of t/ it saves.
    std::optional<std::vector<ObjectInfo>> trips;
    // Load trip records even if the markers cannot complete a generation
    // (a redelivered event may have to finish its own interrupted trip).
    bool always_load_trips = false;
    // Sweeper: re-drive by lease, trip overdue generations with status timeout.
    bool sweeping = false;
    // Operator: claim the open generation with status forced if it has any
    // arrival (only the first claim of this evaluation; a complete generation
    // trips as complete).
    ForceRequest* force = nullptr;
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
  // After Run or RunFromShard on the arrival path (set_own_marker): the own
  // arrival is late, when this evaluation found out (from what it read
  // anyway, or one GET of the trip record when that trip is finished).
  const std::optional<LateArrival>& late() const { return late_; }
  const EvaluationCounts& counts() const { return counts_; }
  // The first error that left a trip unfinished (OK when none did).
  const Status& first_failure() const { return first_failure_; }
  // When the earliest unfinished trip this evaluation last saw is due for
  // its next re-drive (nullopt: none unfinished, or none seen).
  std::optional<TimeMs> next_redrive_at() const { return next_redrive_at_; }

 private:
  struct Candidate {
    ObjectInfo info;
    StateKey key;
  };
  // kLostUnread: lost, and the winner's record was not read (read_winner false).
  enum class ClaimOutcome { kWon, kLost, kLostUnread, kRetry };

  // Every marker of the instance; a sharded barrier's folders concurrently.
  Result<std::vector<ObjectInfo>> ListMarkers();
  Status Evaluate(RunOptions options, std::vector<TripSummary>* trips);
  Status EvaluateFromShard(int shard, std::vector<ObjectInfo> shard_markers, bool duplicate,
                           std::vector<TripSummary>* trips);
  // Markers whose ids no unfinished trip lists, one per id.
  std::vector<Candidate> Candidates(const std::vector<ObjectInfo>& markers, const TripView& view) const;
  static std::vector<std::string> TagsOf(const std::vector<Candidate>& candidates);
  Status RedriveEligible(const TripView& view, bool may_resume, std::vector<TripSummary>* trips, bool* any);
  // Attempt `attempt` (0: the claim's own) of finishing `generation` failed
  // with `error`: notes it in t/<gen>.failed-<attempt> and counts it, and the
  // evaluation goes on. Returns `error` itself when even the note cannot be
  // written (the store is failing: the caller fails, and is retried).
  Status NoteFailure(int64_t generation, int attempt, const Status& error);
  void NoteDue(TimeMs at);
  // Claims generation `generation` for `candidates`. On kWon `*record` is the
  // claim; on kLost it is the winner's record (read only if `read_winner`).
  Result<ClaimOutcome> Claim(int64_t generation, const std::vector<Candidate>& candidates, TripStatus status,
                             std::vector<std::string> missing, bool read_winner, TripRecord* record,
                             const ForceRequest* force = nullptr);
  // The record a claim writes; nullopt when a marker vanished (look again).
  Result<std::optional<TripRecord>> BuildClaim(int64_t generation, const std::vector<Candidate>& candidates,
                                               TripStatus status, std::vector<std::string> missing,
                                               const ForceRequest* force);
  // Whether what a winner of the same generation left of the candidates
  // (`tags`: theirs, one per candidate) could still complete one (a loser
  // then reads the winner's record and goes on).
  bool RestCouldComplete(std::vector<std::string> tags) const;
  Result<ConsumedArrival> Describe(const Candidate& c) const;
  // The epoch of generation view.last_generation + 1: the last generation's
  // (LastEpoch), or for a first generation kEpochUnsettled: its claim reads
  // no witness, its finisher settles the epoch (docs/PROTOCOL.md, "Epochs").
  Result<int64_t> NextEpoch(const TripView& view);
  // The epoch of view.last_generation (>= 1): the view's, or when that is a
  // first generation not settled yet, settled now as its finisher would.
  Result<int64_t> LastEpoch(const TripView& view);
  // Writes the hints of `generation` for `counts` (shard -> distinct members,
  // only those the plan publishes), then lists that generation's hints:
  // true when they say the barrier may be complete.
  Result<bool> PublishHints(int64_t generation, const std::map<int, int64_t>& counts);
  std::map<int, int64_t> DistinctPerShard(const std::vector<Candidate>& candidates) const;
  // A once-mode instance that tripped (`view`): is the own arrival late?
  Status NoteIfLate(const TripView& view);
  // A once-mode arrival whose markers cannot complete a generation, but whose
  // oldest marker is past the timeout: the instance may have timed out, so
  // its trips are read (only such arrivals pay for it).
  bool MayHaveTimedOut(const std::vector<ObjectInfo>& markers) const;

  const EngineContext& ctx_;
  TripLog& trips_;
  const BarrierShape& shape_;
  const BarrierSpec& spec_;
  std::string instance_;
  Bindings bindings_;
  std::string trigger_;
  std::function<std::string()> claim_token_;
  TripFinisher finisher_;
  std::optional<ConsumedArrival> own_marker_;
  bool finished_ = false;
  std::optional<LateArrival> late_;
  int64_t claim_epoch_ = 0;  // NextEpoch of the claim being built (may be kEpochUnsettled)
  EvaluationCounts counts_;
  Status first_failure_;
  std::optional<TimeMs> next_redrive_at_;
};

}  // namespace eb
