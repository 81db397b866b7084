#include "core/store.h"

namespace eb {

Status ObjectStore::DeleteMany(const std::vector<std::string>& keys) {
  for (const auto& key : keys) EB_RETURN_IF_ERROR(Delete(key));
  return Status::Ok();
}

Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, const std::string& prefix,
                                        const std::string& start_after) {
  std::vector<ObjectInfo> all;
  ListOptions options;
  options.prefix = prefix;
  options.start_after = start_after;
  for (;;) {
    auto page = store.List(options);
    if (!page.ok()) return page.status();
    for (auto& o : page->objects) all.push_back(std::move(o));
    if (page->next_continuation.empty()) break;
    options.continuation = page->next_continuation;
  }
  return all;
}

}  // namespace eb
