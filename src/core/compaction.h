// Deleting what the protocol no longer needs, for `sweep --compact` and the
// periodic sweep of `watch`: done trip records (never the newest: it holds the
// generation counter), their attempt markers and stale lists once past the
// retention, shard hints of claimed generations, and tombstones past the
// retention plus the tolerated clock skew, whatever instance they belong to
// (on S3 a lifecycle rule on `P/_consumed/` expires them too; deleting one
// twice is harmless).
#pragma once

#include <string>

#include "base/status.h"
#include "core/barrier_shape.h"
#include "core/engine_context.h"

namespace eb {

// Returns the number of objects deleted.
Result<int> ExpireTombstones(const EngineContext& ctx);
Result<int> CompactInstance(const EngineContext& ctx, const BarrierShape& shape, const std::string& instance);

}  // namespace eb
