// Finishing a claimed trip (docs/PROTOCOL.md, "Finishing a trip"): settle
// which of the record's arrivals it consumes, run its actions, delete its
// markers, write `.done`. Run by the claimant right after its claim and by
// whoever re-drives an unfinished trip; every step may be repeated.
//
// Settling writes one tombstone per listed arrival with PUT-if-absent. A
// tombstone that already names another generation (not a void one) marks a
// stale duplicate: an arrival consumed before, whose marker a late delivery
// re-created. Stale arrivals are not consumed again. If what remains does not
// complete the generation, it is void: no action runs and its other arrivals
// stay for the next generation, which takes their tombstones over. Either
// verdict goes to `t/<gen>.stale` (PUT-if-absent, so every finisher of the
// generation uses the first one).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/barrier_shape.h"
#include "core/engine_context.h"
#include "core/trip.h"
#include "core/trip_log.h"

namespace eb {

class TripFinisher {
 public:
  TripFinisher(const EngineContext& ctx, TripLog& trips, const BarrierShape& shape, std::string instance)
      : ctx_(ctx), trips_(trips), shape_(shape), instance_(std::move(instance)) {}

  // Finishes `record`. `done_upto`: every generation up to it is done (for
  // the head hint). Appends a summary to `trips` unless the trip was void;
  // sets `*void_trip` (may be null) when it was: its arrivals that were not
  // stale are back in the open generation, and whoever skipped them while
  // the trip was unfinished must be stood in for (the caller lists a/ again).
  // Sets `*epoch` (may be null) to the trip's epoch once settled (EpochOf).
  // On error (an action failed, the store is unavailable) the trip stays
  // unfinished and is re-driven later.
  Status Finish(const TripRecord& record, int64_t done_upto, bool redriven,
                std::vector<TripSummary>* trips, bool* void_trip = nullptr,
                int64_t* epoch = nullptr);

  // The epoch of `record`: its own, or for a first generation claimed without
  // reading the witness (TripRecord::epoch_from_witness), the one settled in
  // `_epochs/B/I` (docs/PROTOCOL.md, "Epochs"): PUT-if-absent of epoch 0 with
  // the record's claim; "already exists" is read, and names either this
  // claim (an earlier attempt settled it) or the first generation of a
  // counter deleted since, whose epoch this one follows. Every finisher of
  // the record gets the same answer; one request when the witness is new.
  Result<int64_t> EpochOf(const TripRecord& record);

  // Settles `record`: the ids it lists that were consumed by another
  // generation (none in the common case), and whether it is void. A re-drive
  // (`redriven`) also reads the verdict an earlier attempt may have written:
  // that verdict stands even when the tombstones it was read from expired
  // since (an action that kept failing for longer than the retention).
  Result<StaleVerdict> Settle(const TripRecord& record, bool redriven = false);

 private:
  bool IsVoid(const TripRecord& record, const std::set<std::string>& stale) const;
  std::string MarkerKey(const ConsumedArrival& c) const;
  // Before any action runs with the record's idempotency key: its epoch in
  // t/<gen>.epoch-<e> (epochs >= 1) and, for a first generation, in
  // _epochs/B/I (docs/PROTOCOL.md, "Epochs"). Returns the epoch.
  Result<int64_t> MarkEpoch(const TripRecord& record);

  const EngineContext& ctx_;
  TripLog& trips_;
  const BarrierShape& shape_;
  std::string instance_;
};

}  // namespace eb
