#include "core/arrival_listing.h"

namespace eb {

Result<ArrivalListing> ListForArrival(ObjectStore& store, const KeyLayout& layout,
                                      const std::string& barrier, const std::string& instance,
                                      bool whole_instance, int page_keys) {
  ArrivalListing out;
  const std::string markers_prefix = layout.ArrivalPrefix(barrier, instance);
  if (!whole_instance) {
    EB_ASSIGN_OR_RETURN(out.markers, ListAll(store, markers_prefix));
    return out;
  }
  ListOptions options;
  options.prefix = layout.InstancePrefix(barrier, instance);
  options.max_keys = page_keys;
  EB_ASSIGN_OR_RETURN(auto page, store.List(options));
  const std::string trips_prefix = layout.TripPrefix(barrier, instance);
  const std::string last = page.objects.empty() ? std::string() : page.objects.back().key;
  std::vector<ObjectInfo> trips;
  for (auto& obj : page.objects) {
    if (obj.key.starts_with(markers_prefix)) {
      out.markers.push_back(std::move(obj));
    } else if (obj.key.starts_with(trips_prefix)) {
      trips.push_back(std::move(obj));
    }
  }
  if (page.next_continuation.empty()) {
    out.trips = std::move(trips);  // the page ended with the instance: all of t/
    return out;
  }
  // Keys sort a/, h/, head, l/, t/. A page that stopped past a/ holds all of
  // it; one that stopped within a/ or before it (a store may return a short,
  // even an empty, page that is truncated) does not: list the rest of a/.
  const bool past_markers = last > markers_prefix && !last.starts_with(markers_prefix);
  if (!past_markers) {
    EB_ASSIGN_OR_RETURN(
        auto rest, ListAll(store, markers_prefix, last.starts_with(markers_prefix) ? last : ""));
    for (auto& obj : rest) out.markers.push_back(std::move(obj));
  }
  return out;
}

}  // namespace eb
