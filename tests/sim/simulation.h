// The protocol simulation: many workers (each its own Engine, like separate
// Lambda instances) process a shuffled stream in which every event arrives
// 1-3 times; a fault-injecting store answers some calls with 409/503 or loses
// the answer of a call that took effect, and crashes workers between store
// calls (their event is redelivered later, with a cold engine); actions fail
// now and then; the clock moves so leases expire mid-run; a sweeper worker
// runs concurrently. A final sweep stands in for the scheduled sweeper, then
// the checker verifies the promises of DESIGN section 4; a run without any
// crash must also have left the final sweep no complete generation to trip.
// Each seed picks a shard size of 2, 3 or none, so wide barriers (more
// members than the shard size) run sharded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/log.h"
#include "core/store.h"

namespace eb::sim {

struct SimOptions {
  uint64_t seed = 1;
  // Probabilities per store call.
  double p_conflict = 0.02;
  double p_unavailable = 0.02;
  double p_lost_answer = 0.02;
  double p_crash = 0.015;
  double p_action_failure = 0.05;
  // Every action of this barrier fails until the final sweep (an action
  // that fails for a while): its later generations must trip all the same.
  std::string failing_barrier;
  // Where the engines log (replaying a seed); null: nowhere.
  Logger* log = nullptr;
  // Wraps the store under the fault layer (used to break the protocol on purpose).
  std::function<std::unique_ptr<ObjectStore>(ObjectStore& base)> sabotage;
};

struct SimReport {
  uint64_t seed = 0;
  int shard_size = 0;  // the engines' shard size (0: unsharded)
  int workers = 0;
  int events = 0;
  int deliveries = 0;
  int crashes = 0;
  int faults = 0;
  int trips = 0;
  int redrives = 0;
  // Generations of SimOptions::failing_barrier claimed and left unfinished
  // when the run (before the final sweep) ended.
  int failing_unfinished = 0;
  uint64_t steps = 0;
  bool tombstones_read_first = false;   // this seed: every arrival read its tombstone before its
                                        // marker (else: prompt ones skip it where allowed)
  std::vector<std::string> violations;  // empty: every promise held
  std::string Summary() const;
};

SimReport RunSimulation(const SimOptions& options);

}  // namespace eb::sim
