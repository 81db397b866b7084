#include "core/store.h"

#include <algorithm>
#include <random>
#include <set>

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

std::vector<Result<ListPage>> ObjectStore::ListMany(const std::vector<ListOptions>& requests) {
  std::vector<Result<ListPage>> out;
  out.reserve(requests.size());
  for (const auto& options : requests) out.push_back(List(options));
  return out;
}

ListPageBuilder::ListPageBuilder(const ListOptions& options)
    : options_(options),
      after_(options.continuation.empty() ? options.start_after : options.continuation),
      limit_(options.max_keys > 0 ? options.max_keys : 1000) {}

bool ListPageBuilder::Add(ObjectInfo object) {
  const std::string& delimiter = options_.delimiter;
  std::string folder;
  if (!delimiter.empty()) {
    size_t at = object.key.find(delimiter, options_.prefix.size());
    if (at != std::string::npos) folder = object.key.substr(0, at + delimiter.size());
  }
  if (!folder.empty()) {
    // Still inside the folder the previous page ended with, or this page's.
    if (folder == after_ || (entries_ > 0 && folder == last_entry_)) return true;
  }
  if (entries_ == limit_) {
    page_.next_continuation = last_entry_;
    return false;
  }
  ++entries_;
  if (!folder.empty()) {
    last_entry_ = folder;
    page_.common_prefixes.push_back(std::move(folder));
  } else {
    last_entry_ = object.key;
    page_.objects.push_back(std::move(object));
  }
  return true;
}

TimeMs ConflictBackoffMs(int attempt) {
  // Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
  // racers that collided once spread out instead of colliding again.
  thread_local std::minstd_rand rng(0x5eed);
  TimeMs cap = std::min<TimeMs>(1000, TimeMs{10} << std::min(attempt, 7));
  return std::uniform_int_distribution<TimeMs>(0, cap)(rng);
}

TimeMs OldestModified(const std::vector<ObjectInfo>& objects) {
  if (objects.empty()) return 0;
  TimeMs oldest = objects.front().last_modified;
  for (const auto& o : objects) oldest = std::min(oldest, o.last_modified);
  return oldest;
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

Result<std::vector<ObjectInfo>> ListAllFolders(ObjectStore& store, const std::string& prefix,
                                               const std::vector<std::string>& dirs) {
  std::vector<ListOptions> listings;  // every listing still going, with its next page's options
  ListOptions top;
  top.prefix = prefix;
  top.delimiter.push_back('/');  // (= "/" trips a GCC 12 -Wrestrict false positive)
  listings.push_back(top);
  std::set<std::string> listed{prefix};
  for (const auto& dir : dirs) {
    ListOptions folder;
    folder.prefix = prefix + dir;
    if (listed.insert(folder.prefix).second) listings.push_back(folder);
  }
  std::vector<ObjectInfo> all;
  while (!listings.empty()) {
    auto pages = store.ListMany(listings);
    std::vector<ListOptions> next;
    for (size_t i = 0; i < listings.size(); ++i) {
      if (!pages[i].ok()) return pages[i].status();
      ListPage& page = *pages[i];
      for (auto& o : page.objects) all.push_back(std::move(o));
      // A folder the caller did not expect (a layout from an older
      // configuration): list it too, so nothing under `prefix` is missed.
      for (auto& folder : page.common_prefixes) {
        if (!listed.insert(folder).second) continue;
        ListOptions options;
        options.prefix = std::move(folder);
        next.push_back(std::move(options));
      }
      if (!page.next_continuation.empty()) {
        next.push_back(listings[i]);
        next.back().continuation = std::move(page.next_continuation);
      }
    }
    listings = std::move(next);
  }
  // A store that ignores the delimiter lists a folder's keys twice.
  std::sort(all.begin(), all.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  all.erase(std::unique(all.begin(), all.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key == b.key; }),
            all.end());
  return all;
}

}  // namespace eb
