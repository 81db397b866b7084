// The sweeper (docs/PROTOCOL.md, "The sweeper"): visits the instances of the
// open index P/_open/, trips what is complete but was never tripped, trips
// overdue generations with status timeout, re-drives unfinished trips whose
// lease ran out, compacts, and lets idle instances leave the index.
//
// Built for 10,000 open instances and a sweep cut short by its deadline:
//   - one LIST of an instance's prefix tells whether it is idle (no marker,
//     no unfinished trip); an idle instance costs that one request and, once
//     idle for longer than any process trusts its "indexed" cache, leaves
//     the index (re-added by its next arrival);
//   - those LISTs run several at once (`parallel`); only instances with
//     something to do are evaluated, one after another;
//   - no visit starts after the deadline, and a cursor in the store
//     (P/_sweep/cursor, core/sweep_cursor.h) makes the next sweep go on where
//     this one stopped: instances due (a timeout, a lease) first, then
//     instances indexed since the last look, then the rotation;
//   - an instance that left is looked at once more a while later
//     (P/_sweep/left/): an arrival that read the index just before it was
//     deleted re-adds it there, so no marker is ever out of the sweeper's reach.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "core/barrier_shape.h"
#include "core/engine_context.h"
#include "core/sweep_cursor.h"
#include "core/trip.h"

namespace eb {

struct SweepOptions {
  // Compact every instance visited and expire tombstones (`sweep --compact`,
  // the hourly sweep of `watch`).
  bool compact = false;
  // > 0: a lap of the rotation compacts every instance it visits when the
  // last compacting lap began at least this long ago, and tombstones are
  // expired once per such lap (the Lambda's and `serve`'s scheduled sweeps).
  TimeMs compact_every_ms = 0;
  // > 0: no visit starts once the clock reaches this (Engine::Sweep: this
  // machine's clock; the Sweeper itself: the store's). What is written after
  // the walk (the cursor, the index deletions) is two or three requests more:
  // the caller leaves a margin for them.
  TimeMs deadline_ms = 0;
  // Instances probed (one LIST each) at once.
  int parallel = 1;
};

struct SweepOutcome {
  int instances = 0;           // open instances examined
  int idle = 0;                // of them: nothing pending, no unfinished trip (one LIST)
  int waiting = 0;             // of them: pending, incomplete, nothing due yet (one LIST)
  int removed_from_index = 0;  // finished once-mode instances and idle ones that left
  int left = 0;                // of them: idle ones (looked at again later)
  int rechecked = 0;           // instances that had left, looked at again
  int reindexed = 0;           // of them: an arrival came in meanwhile, indexed again
  int compacted = 0;           // old state objects deleted
  int not_visited = 0;         // index entries this sweep did not reach (deadline)
  int laps = 0;                // rotations of the whole index completed
  int trip_failures = 0;       // trips whose finishing failed (re-driven later, with backoff)
  bool deadline_reached = false;
  std::vector<TripSummary> trips;
};

class Sweeper {
 public:
  // What the sweeper takes from the Engine that owns it.
  struct Hooks {
    std::function<const BarrierShape&(const BarrierSpec&)> shape_of;
    std::function<std::string()> claim_token;
    // An open-index entry was deleted: drop it from the arrival cache.
    std::function<void(const std::string& open_key)> forget_indexed;
  };
  Sweeper(const EngineContext& ctx, Hooks hooks) : ctx_(ctx), hooks_(std::move(hooks)) {}

  Result<SweepOutcome> Run(const SweepOptions& options);

 private:
  const EngineContext& ctx_;
  Hooks hooks_;
};

// The key of the cursor and the prefix of the instances that left, under P.
std::string SweepCursorKey(const std::string& state_prefix);
std::string SweepLeftPrefix(const std::string& state_prefix);

}  // namespace eb
