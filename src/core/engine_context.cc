#include "core/engine_context.h"

#include <algorithm>

namespace eb {

namespace {
constexpr size_t kMaxDeleteBatch = 1000;  // S3 DeleteObjects takes at most 1,000 keys
}  // namespace

Status EngineContext::Put(const StateKey& key, const std::string& body, bool if_absent) const {
  std::string encoded = layout.Encode(key);
  return RetryConflicts(options.conflict_retries, clock, [&] {
    return if_absent ? store.PutIfAbsent(encoded, body) : store.Put(encoded, body);
  });
}

Status EngineContext::DeleteKeys(const std::vector<std::string>& keys) const {
  for (size_t i = 0; i < keys.size(); i += kMaxDeleteBatch) {
    std::vector<std::string> batch(keys.begin() + i, keys.begin() + std::min(keys.size(), i + kMaxDeleteBatch));
    EB_RETURN_IF_ERROR(RetryConflicts(options.conflict_retries, clock, [&] { return store.DeleteMany(batch); }));
  }
  return Status::Ok();
}

TimeMs EngineContext::StampMarginMs() const {
  // The memory and folder stores stamp objects with the engine's own clock;
  // S3 in whole seconds, and the engine knows its offset only so closely.
  const ServerTimeOffset* server = store.ServerTime();
  if (server == nullptr) return 1;
  return 1000 + (server->Known() ? server->UncertaintyMs() : 1000);
}

}  // namespace eb
