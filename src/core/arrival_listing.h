// The LIST an arrival makes once its marker is written (docs/PROTOCOL.md,
// "Arrival", step 4). A process that holds no trip hint for the instance (a
// cold process, or one that never met the instance) lists the instance's
// whole prefix instead of a/ alone: a/ sorts first, and the same page goes on
// into t/, so an arrival that finds the set complete has the listing of t/ it
// would otherwise make next (a new instance's t/ is empty) without another
// request. A warm process lists a/ alone: it lists t/ from its hint, and the
// instance's t/ from the start would only add keys to every LIST of a/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/keys.h"
#include "core/store.h"

namespace eb {

struct ArrivalListing {
  std::vector<ObjectInfo> markers;  // every key under a/
  // Every key under t/, when the page held the whole instance (it was not
  // truncated). nullopt when only a/ was listed, or the page was truncated:
  // then listing the whole instance again is not worth it (a history, or an
  // a/, longer than the page).
  std::optional<std::vector<ObjectInfo>> trips;
};

// Lists a/ of `barrier`/`instance`, or with `whole_instance` the instance's
// prefix in one page of at most `page_keys` keys (then the rest of a/ when
// the page stopped before its end).
Result<ArrivalListing> ListForArrival(ObjectStore& store, const KeyLayout& layout,
                                      const std::string& barrier, const std::string& instance,
                                      bool whole_instance, int page_keys);

}  // namespace eb
