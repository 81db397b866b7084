// What `eventbarrier status` shows. For every barrier instance that may have an
// open generation (the `_open/` index, plus every barrier without variables):
// which members arrived and which are missing, the open generation, its
// deadline, the last trip, and trips still waiting for their actions (pending
// re-drives: a trip record without `.done`).
//
// A once instance that tripped leaves the index at the next sweep; with
// StatusOptions::all_instances it is found by listing the barrier's state.
//
// Pure over an ObjectStore and a Config: it only reads (LIST a/ and t/, GET the
// latest and the unfinished trip records and the latest .done), never writes, and
// never reads the clock: times are absolute, the caller says how old they are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "core/config.h"
#include "core/store.h"
#include "core/trip.h"

namespace eb {

struct LastTripStatus {
  int64_t generation = 0;
  TripStatus status = TripStatus::kComplete;
  TimeMs claimed_at = 0;
  size_t objects = 0;
  std::vector<std::string> missing;  // on timeout
  bool done = false;
  DoneRecord done_record;  // when done: who finished it and what the actions reported
};

struct PendingTrip {
  int64_t generation = 0;
  int attempts = 0;          // re-drive attempts so far
  TimeMs last_activity = 0;  // newest write of the record, an attempt marker or a failure note
  int failures = 0;          // attempts that failed to finish it (t/<gen>.failed-<n>)
  std::optional<FailureNote> last_failure;  // the newest of them: when, who, the error
  TimeMs next_attempt_at = 0;  // when its next re-drive is due (the backoff, core/trip_log.h)
};

struct InstanceStatus {
  std::string barrier;
  std::string instance;  // "_" for a barrier without variables
  Bindings vars;
  BarrierMode mode = BarrierMode::kCyclic;
  // A once-mode instance that tripped: it never trips again. Its progress and
  // missing members are those of its trip.
  bool finished = false;
  int64_t generation = 1;  // the open generation (the last one when finished)
  size_t needed = 0;       // members (or distinct keys) a generation needs
  size_t have = 0;         // of those, how many have an unconsumed arrival
  std::vector<std::string> arrived;  // rendered members present (empty for count latches)
  std::vector<std::string> missing;  // rendered members absent; count latch: "N more key(s) under P"
  size_t arrivals = 0;               // unconsumed arrivals (a re-upload is one more)
  TimeMs first_arrival_at = 0;       // earliest unconsumed arrival; 0 when none
  std::optional<TimeMs> deadline;    // first_arrival_at + timeout
  std::optional<LastTripStatus> last_trip;
  std::vector<PendingTrip> pending;
  // Late arrivals waiting in a/: after a once instance tripped (they are
  // never consumed), or after a timeout trip, for a member it found missing.
  size_t late_arrivals = 0;
};

struct StatusReport {
  std::vector<InstanceStatus> instances;  // by barrier, then instance
  std::vector<std::string> warnings;      // index entries that fit no configured barrier
};

struct StatusOptions {
  // Also every instance that left the open index (a once instance that tripped
  // is dropped from it by the next sweep), found by listing each barrier's
  // whole state: one LIST of every marker and record, so slower.
  bool all_instances = false;
};

// Reads the state of every instance. Fails only if the store fails.
Result<StatusReport> BuildStatusReport(ObjectStore& store, const Config& config, StatusOptions options = {});

}  // namespace eb
