// `eventbarrier history`: what happened to each generation of an instance,
// newest first: how it tripped (complete, timeout, forced) or that it was
// void or is still unfinished, first arrival -> claim latency, objects
// consumed, stale duplicates, late arrivals, the actions' reports and the
// operator reruns. Reads only: one LIST of the instance's t/ (every
// generation kept, so it grows with the history until `sweep --compact`),
// the records of the generations shown, and one LIST of a/ for the newest.
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "core/config.h"
#include "core/rerun.h"
#include "core/store.h"
#include "core/trip.h"

namespace eb {

struct GenerationHistory {
  std::string barrier;
  std::string instance;
  int64_t generation = 0;
  TripStatus status = TripStatus::kComplete;
  bool done = false;       // .done written: actions succeeded (or void)
  bool void_trip = false;  // claimed, but its arrivals were stale duplicates: no trip
  TimeMs first_arrival_at = 0;
  TimeMs claimed_at = 0;
  TimeMs done_at = 0;
  size_t objects = 0;                // arrivals consumed (the record less stale duplicates)
  size_t stale = 0;                  // stale duplicates the record listed
  std::vector<std::string> missing;  // timeout and forced trips
  // Members missing when this generation tripped (timeout, forced) that
  // arrived afterwards: in the next generation, or open when this is the newest.
  size_t late = 0;
  std::string forced_by, reason;
  int attempts = 0;  // re-drives
  std::vector<DoneRecord::Action> actions;
  std::vector<RerunRecord> reruns;

  // "complete", "timeout", "forced", "void" or "unfinished".
  std::string Outcome() const;
  TimeMs LatencyMs() const {
    return first_arrival_at > 0 && claimed_at >= first_arrival_at ? claimed_at - first_arrival_at
                                                                  : 0;
  }
};

// The newest `last` generations of one instance, newest first. NotFound for a
// barrier that is not configured, InvalidArgument for an instance that does not fit it.
Result<std::vector<GenerationHistory>> ReadHistory(ObjectStore& store, const Config& config,
                                                   const std::string& barrier,
                                                   const std::string& instance, size_t last);

// The instances of `barrier` worth showing: "_" for a barrier without
// variables, else those in the open index.
Result<std::vector<std::string>> IndexedInstances(ObjectStore& store, const Config& config,
                                                  const std::string& barrier);

}  // namespace eb
