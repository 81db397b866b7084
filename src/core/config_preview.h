// What a new configuration would do to the instances open in a state
// (`eventbarrier validate CONFIG --against STATE`; docs/OPERATORS.md,
// "Changing the configuration of a live deployment"). For every entry of the
// open index: the outcome under the new configuration, and notes on what the
// change does to the arrivals and trips already there.
//
// The rules it previews are the engine's own: a generation is judged by the
// configuration in force when it is claimed (members, count, timeout, mode);
// a claimed trip keeps its record (arrivals, status) and runs the actions of
// the configuration in force when it is finished; an open instance of a
// barrier no longer configured is left alone, reported by `status` and the
// sweeper, never deleted.
//
// Pure over an ObjectStore and a Config: it only reads (LIST of the open
// index, of each instance's a/ and t/, GET of unfinished trip records).
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "core/config.h"
#include "core/store.h"

namespace eb {

enum class PreviewOutcome {
  kOrphaned,  // the barrier is not in the configuration
  kUnfit,     // the instance name does not fit the barrier's variables
  kFinished,  // a once instance that tripped: never trips again
  kTrips,     // its arrivals complete a generation: it trips at the next arrival or sweep
  kTimesOut,  // its first arrival is older than the timeout: it times out at the next sweep
  kWaits,     // waits for more arrivals
  kIdle,      // nothing pending, no unfinished trip
};
const char* PreviewOutcomeName(PreviewOutcome outcome);

struct InstancePreview {
  std::string barrier;
  std::string instance;
  PreviewOutcome outcome = PreviewOutcome::kIdle;
  int64_t generation = 0;            // the open generation (the last one when finished)
  size_t arrivals = 0;               // unconsumed markers
  std::vector<std::string> missing;  // rendered members still needed (kWaits)
  std::vector<std::string> notes;    // what the change does beyond the outcome
  // Whether the change touches this instance: anything but an instance that
  // waits (or is idle) exactly as any configuration of its members would say.
  bool affected = false;
};

struct ConfigPreview {
  std::string state_prefix;
  size_t open = 0;                         // entries in the open index
  std::vector<InstancePreview> instances;  // by barrier, then instance
};

// `shard_size` as EngineOptions::shard_size (where a wide barrier's markers live).
Result<ConfigPreview> PreviewConfiguration(ObjectStore& store, const Config& next, TimeMs now,
                                           int shard_size);

}  // namespace eb
