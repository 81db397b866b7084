#include "stores/memory_store.h"

namespace eb {

Result<std::string> MemoryStore::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound(key);
  return it->second.body;
}

Status MemoryStore::Put(const std::string& key, const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_[key] = {body, clock_.NowMs()};
  return Status::Ok();
}

Status MemoryStore::PutIfAbsent(const std::string& key, const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = objects_.try_emplace(key, Object{body, clock_.NowMs()});
  if (!inserted) return Status::AlreadyExists(key);
  return Status::Ok();
}

Result<ListPage> MemoryStore::List(const ListOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  ListPageBuilder page(options);
  const std::string& after = page.StartAfter();
  auto it = after.empty() || after < options.prefix ? objects_.lower_bound(options.prefix)
                                                    : objects_.upper_bound(after);
  for (; it != objects_.end(); ++it) {
    if (it->first.compare(0, options.prefix.size(), options.prefix) != 0) break;
    if (!page.Add({it->first, static_cast<int64_t>(it->second.body.size()), it->second.last_modified})) break;
  }
  return page.Finish();
}

Status MemoryStore::Delete(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_.erase(key);
  return Status::Ok();
}

Status MemoryStore::DeleteMany(const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& key : keys) objects_.erase(key);
  return Status::Ok();
}

std::map<std::string, std::string> MemoryStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : objects_) out[k] = v.body;
  return out;
}

size_t MemoryStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.size();
}

}  // namespace eb
