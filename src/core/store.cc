#include "core/store.h"

#include <algorithm>
#include <random>

namespace eb {

Status ObjectStore::DeleteMany(const std::vector<std::string>& keys) {
  for (const auto& key : keys) EB_RETURN_IF_ERROR(Delete(key));
  return Status::Ok();
}

std::vector<Result<std::string>> ObjectStore::GetMany(const std::vector<std::string>& keys) {
  std::vector<Result<std::string>> out;
  out.reserve(keys.size());
  for (const auto& key : keys) out.push_back(Get(key));
  return out;
}

std::vector<Status> ObjectStore::PutIfAbsentMany(const std::vector<std::pair<std::string, std::string>>& items) {
  std::vector<Status> out;
  out.reserve(items.size());
  for (const auto& [key, body] : items) out.push_back(PutIfAbsent(key, body));
  return out;
}

TimeMs ConflictBackoffMs(int attempt) {
  // Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
  // racers that collided once spread out instead of colliding again.
  thread_local std::minstd_rand rng(0x5eed);
  TimeMs cap = std::min<TimeMs>(1000, TimeMs{10} << std::min(attempt, 7));
  return std::uniform_int_distribution<TimeMs>(0, cap)(rng);
}

Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, const std::string& prefix,
                                        const std::string& start_after) {
  std::vector<ObjectInfo> all;
  ListOptions options;
  options.prefix = prefix;
  options.start_after = start_after;
  for (;;) {
    EB_ASSIGN_OR_RETURN(auto page, store.List(options));
    for (auto& o : page.objects) all.push_back(std::move(o));
    if (page.next_continuation.empty()) break;
    options.continuation = page.next_continuation;
  }
  return all;
}

}  // namespace eb
