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

// The same on a simulated clock: every call moves `clock` by `ms` (a sweep's
// deadline, a timeout, in store calls rather than in wall time).
class FakeLatencyStore : public StoreWrapper {
 public:
  FakeLatencyStore(ObjectStore& base, FakeClock& clock, TimeMs ms)
      : StoreWrapper(base), clock_(clock), ms_(ms) {}

  Result<std::string> Get(const std::string& key) override {
    return Tick(), StoreWrapper::Get(key);
  }
  Status Put(const std::string& key, const std::string& body) override {
    return Tick(), StoreWrapper::Put(key, body);
  }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    return Tick(), StoreWrapper::PutIfAbsent(key, body);
  }
  Result<ListPage> List(const ListOptions& options) override {
    return Tick(), StoreWrapper::List(options);
  }
  Status Delete(const std::string& key) override { return Tick(), StoreWrapper::Delete(key); }
  Status DeleteMany(const std::vector<std::string>& keys) override {
    return Tick(), StoreWrapper::DeleteMany(keys);
  }

 private:
  void Tick() { clock_.Advance(ms_); }
  FakeClock& clock_;
  TimeMs ms_;
};

}  // namespace eb::test
