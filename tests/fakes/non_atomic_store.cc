#include "fakes/non_atomic_store.h"

namespace eb::test {

Status NonAtomicPutIfAbsentStore::PutIfAbsent(const std::string& key, const std::string& body) {
  auto existing = base_.Get(key);
  if (existing.ok()) return Status::AlreadyExists("non-atomic store: '" + key + "' exists");
  if (!existing.status().IsNotFound()) return existing.status();
  if (gated_(key)) {
    std::unique_lock<std::mutex> lock(mu_);
    int& checked = checked_[key];
    ++checked;
    cv_.notify_all();
    cv_.wait(lock, [&] { return checked_[key] >= racers_; });
  }
  Status put = base_.Put(key, body);
  if (put.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++writes_;
  }
  return put;
}

int NonAtomicPutIfAbsentStore::writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

}  // namespace eb::test
