// The long-history simulation (issue 13's proof): one cyclic barrier run for
// 1,000+ generations by several workers whose clocks are skewed by up to
// +-30 s against the store's, through store faults and crashes, with periodic
// sweeps that compact and expire tombstones, and copies of consumed arrivals
// delivered again at any age up to the retention (the last ones just inside
// it). Checked from what the actions received, since compaction deletes old
// trip records:
//   - every generation of fresh uploads tripped exactly once (nothing lost,
//     nothing stuck after the final sweep);
//   - no arrival is in two generations' manifests (a late copy inside the
//     retention never counts again);
//   - every run of one generation's actions carried the same manifest;
//   - the state stays bounded: tombstones only for the retention's window.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace eb::sim {

struct HistoryOptions {
  uint64_t seed = 1;
  int generations = 1200;
  // The barrier's retention ("1h": many expiries in one run; "14d": the
  // production default, nothing expires within the run).
  std::string retention = "1h";
  int64_t max_skew_ms = 30'000;  // each worker's clock: store time + uniform(-max, +max)
  double p_fault = 0.01;         // per store call: 409, 503 or a lost answer
  double p_crash = 0.003;        // per store call: the worker dies (restarts cold)
  double p_late_copy = 0.3;      // per generation: a copy of an older arrival
  // The workers' EngineOptions::prompt_arrival_ms (< 0: the default). Every
  // copy of a consumed arrival comes at least a generation (a minute) after
  // its upload, so the default treats none as prompt; a window longer than
  // the retention treats all as prompt, and the barrier (cyclic) must still
  // read every copy's tombstone.
  int64_t prompt_arrival_ms = -1;
};

struct HistoryReport {
  uint64_t seed = 0;
  int trips = 0;
  int late_copies = 0;            // copies of consumed arrivals delivered
  int late_copies_near_edge = 0;  // of which within the last 10% of the retention
  int crashes = 0;
  int faults = 0;
  size_t tombstones_at_end = 0;
  size_t state_objects_at_end = 0;
  std::vector<std::string> violations;
  std::string Summary() const;
};

HistoryReport RunHistorySimulation(const HistoryOptions& options);

}  // namespace eb::sim
