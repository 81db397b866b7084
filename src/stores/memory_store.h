// An ObjectStore in memory: the reference implementation of the store
// contract, used by tests, the simulation and benchmarks. Thread-safe.
#pragma once

#include <map>
#include <mutex>

#include "base/clock.h"
#include "core/store.h"

namespace eb {

class MemoryStore : public ObjectStore {
 public:
  // `clock` stamps last_modified; it must outlive the store.
  explicit MemoryStore(Clock& clock) : clock_(clock) {}

  Result<std::string> Get(const std::string& key) override;
  Status Put(const std::string& key, const std::string& body) override;
  Status PutIfAbsent(const std::string& key, const std::string& body) override;
  Result<ListPage> List(const ListOptions& options) override;
  Status Delete(const std::string& key) override;
  Status DeleteMany(const std::vector<std::string>& keys) override;
  std::string Describe() const override { return "memory"; }

  // For tests: every key and body.
  std::map<std::string, std::string> Snapshot() const;
  size_t size() const;

 private:
  struct Object {
    std::string body;
    TimeMs last_modified = 0;
  };
  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;
};

}  // namespace eb
