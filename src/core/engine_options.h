// Settings of the barrier engine that are not part of the configuration file:
// who this process is, and the protocol's tuning knobs (docs/PROTOCOL.md).
#pragma once

#include <string>

#include "base/clock.h"

namespace eb {

struct EngineOptions {
  // Identifies this process in claim records ("host-pid" or a simulated worker).
  std::string worker_id = "worker";
  // How often one store call is tried while it answers Conflict (409), with
  // jittered exponential backoff between tries (core/store.h RetryConflicts).
  int conflict_retries = 8;
  // A redelivery of the event that claimed an unfinished trip re-drives it
  // only once the trip has been idle this long (a concurrent duplicate of a
  // live claimant would otherwise run its actions a second time).
  TimeMs resume_grace_ms = 30 * 1000;
  // Generations between updates of the `head` hint (where a LIST of t/ starts).
  int64_t head_every = 16;
  // How long "this instance is in the open index" is trusted without reading it again.
  // The sweeper lets an instance leave the index only once it has been idle
  // this long plus twice max_clock_skew_ms.
  TimeMs open_cache_ttl_ms = 60 * 60 * 1000;
  // How long after an idle instance left the index the sweeper looks at it
  // once more (an arrival that read the index just before the deletion has
  // written its marker by then and is indexed again): longer than an arrival
  // takes from reading the index to writing its marker.
  TimeMs leave_recheck_after_ms = 5 * 60 * 1000;
  // Barriers needing more members (or distinct keys) than this keep their
  // markers in shards of at most this many members, so an arrival lists one
  // shard, not the whole barrier (PROTOCOL.md, "Wide barriers"). One LIST
  // page holds 1,000 keys; <= 0 never shards.
  int shard_size = 1000;
  // The largest clock difference between this process and the store that the
  // protocol tolerates: tombstones are expired only this long after the
  // retention, so a fast clock never expires one early (PROTOCOL.md, "Clocks").
  TimeMs max_clock_skew_ms = 5 * 60 * 1000;
  // An arrival delivered at most this long after its event happened (the
  // event's time against the store's clock) writes its marker without first
  // reading its tombstone. A copy of an event that a generation consumed
  // comes after its original did (a retry, a queue's redelivery, a replay),
  // so a prompt arrival is, as a rule, the first delivery. A prompt copy that
  // is not re-creates its marker: a once instance finds the marker its trip
  // kept; in a cyclic barrier the next generation settles it stale while its
  // tombstone lives, and the sweep that would expire that tombstone deletes
  // the waiting marker first (docs/PROTOCOL.md, arrival step 1). Not in a
  // barrier with a timeout: a re-created marker would start its clock.
  // 0: every arrival reads its tombstone.
  TimeMs prompt_arrival_ms = 30 * 1000;
};

}  // namespace eb
