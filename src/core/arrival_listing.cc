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
  const bool truncated = !page.next_continuation.empty();
  // Keys sort a/, h/, head, l/, t/: where the page stopped says how much of
  // a/ and t/ it holds.
  const std::string last = page.objects.empty() ? std::string() : page.objects.back().key;
  TripPage trips;
  for (auto& obj : page.objects) {
    if (obj.key.starts_with(markers_prefix)) {
      out.markers.push_back(std::move(obj));
    } else if (obj.key.starts_with(trips_prefix)) {
      trips.objects.push_back(std::move(obj));
    }
  }
  if (!truncated) {
    trips.whole = true;
    out.trips = std::move(trips);
  } else if (last.starts_with(trips_prefix)) {
    out.trips = std::move(trips);  // t/ goes on past this page
  } else if (last.starts_with(markers_prefix)) {
    EB_ASSIGN_OR_RETURN(auto rest, ListAll(store, markers_prefix, last));
    for (auto& obj : rest) out.markers.push_back(std::move(obj));
  }
  return out;
}

}  // namespace eb
