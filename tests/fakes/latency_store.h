// LatencyStore: every call takes at least a fixed time (a sleep before it is
// forwarded), as a remote object store's round trip does. Benchmarks of many
// concurrent workers put it over the in-memory store so that what decides a
// run is how many requests the protocol makes and how they overlap, not which
// of two busy cores a thread happens to get.
#pragma once

#include <chrono>
#include <thread>

#include "fakes/fault_store.h"

namespace eb::test {

class LatencyStore : public StoreWrapper {
 public:
  // `latency` per call (a bulk delete is one call); zero forwards at once.
  LatencyStore(ObjectStore& base, std::chrono::microseconds latency) : StoreWrapper(base), latency_(latency) {}

  Result<std::string> Get(const std::string& key) override { return Wait(), StoreWrapper::Get(key); }
  Status Put(const std::string& key, const std::string& body) override { return Wait(), StoreWrapper::Put(key, body); }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    return Wait(), StoreWrapper::PutIfAbsent(key, body);
  }
  Result<ListPage> List(const ListOptions& options) override { return Wait(), StoreWrapper::List(options); }
  Status Delete(const std::string& key) override { return Wait(), StoreWrapper::Delete(key); }
  Status DeleteMany(const std::vector<std::string>& keys) override {
    return Wait(), StoreWrapper::DeleteMany(keys);
  }

 private:
  void Wait() const {
    if (latency_.count() > 0) std::this_thread::sleep_for(latency_);
  }
  std::chrono::microseconds latency_;
};

}  // namespace eb::test
