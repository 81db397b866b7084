// `eventbarrier migrate`: converts state of format 1 to format 2 in place.
//
// Format 1 kept the ids consumed within the retention in a consumed window
// copied from trip record to trip record and folded into checkpoints (w/).
// Format 2 keeps one tombstone per consumed id instead (P/_consumed/). The
// migration, per instance: writes a tombstone for every id in the newest
// record, its window and its checkpoint (and in every record still present),
// then rewrites each record without its window, then deletes the checkpoints;
// finally it stamps P/_format. Run it with every worker stopped.
//
// Idempotent and crash-safe: tombstones are written before anything that
// held their ids is removed, and a second run finds format-2 records and no
// checkpoints and changes nothing.
#pragma once

#include <functional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "core/config.h"
#include "core/store.h"

namespace eb {

struct MigrationReport {
  bool already_current = false;  // the state was stamped format 2 before this run
  int instances = 0;
  int records_rewritten = 0;
  int tombstones_written = 0;
  int checkpoints_deleted = 0;
};

// `progress` (may be empty) is told about each instance as it starts.
Result<MigrationReport> MigrateState(ObjectStore& store, const Config& config, Clock& clock,
                                     const std::function<void(const std::string&)>& progress = {});

}  // namespace eb
