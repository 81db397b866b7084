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

// Returns the number of objects deleted. With a `deadline_ms` (> 0) no page
// is started once the clock reaches it; `*finished` says whether every page
// was seen (what is deleted stays deleted: the next call goes on from there).
Result<int> ExpireTombstones(const EngineContext& ctx, TimeMs deadline_ms = 0,
                             bool* finished = nullptr);
Result<int> CompactInstance(const EngineContext& ctx, const BarrierShape& shape, const std::string& instance);
// The same from listings the caller already has (the instance's whole t/ and
// h/): sends a request only when something is to be deleted.
Result<int> CompactListed(const EngineContext& ctx, const std::vector<ObjectInfo>& trips,
                          const std::vector<ObjectInfo>& hints);

}  // namespace eb
