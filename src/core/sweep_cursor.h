// Where the sweeper stopped, kept in the store between sweeps (P/_sweep/cursor,
// written at most once per sweep) so that a sweep cut short by its deadline is
// continued by the next one instead of starting again at the first key, and
// what the sweeper learnt about instances it will have to visit again at a
// known time (docs/PROTOCOL.md, "The sweeper").
//
// Losing the cursor (a concurrent sweeper overwrote it, it was deleted) costs
// only order: the next sweep starts a lap from the first key.
#pragma once

#include <map>
#include <string>

#include "base/clock.h"
#include "base/status.h"

namespace eb {

struct SweepCursor {
  // The rotation: the last open-index key visited in turn ("" = a lap starts).
  std::string after;
  // When the current lap began, and whether it compacts every instance it visits.
  TimeMs lap_started = 0;
  bool compacting = false;
  // When the last compacting lap began (compaction every `compact_every_ms`).
  TimeMs compacted_lap = 0;
  // A compacting lap began and tombstones have not been expired since.
  bool expire_pending = false;
  // Index entries newer than (fresh_ms, fresh_key) were created after the
  // sweeper last looked: visited before the rotation, oldest first.
  TimeMs fresh_ms = 0;
  std::string fresh_key;
  // Open-index key -> when the instance is due again (the oldest pending
  // marker's timeout, an unfinished trip's lease, a failed visit): visited
  // first once due, whatever the rotation says.
  std::map<std::string, TimeMs> due;
};

std::string SerializeSweepCursor(const SweepCursor& cursor);
// InvalidArgument naming the field for a body that is not a cursor.
Result<SweepCursor> ParseSweepCursor(const std::string& body);

}  // namespace eb
