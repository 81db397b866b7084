// A store whose PUT-if-absent is not atomic, on purpose: it asks the base
// store whether the key exists, then writes with a plain PUT - the
// check-then-write of emulators and of servers that shipped without a real
// conditional write (SeaweedFS issue 8800, rustfs 1659, versitygw 2288).
//
// The race is made certain, not likely: for keys that `gated` selects, every
// caller waits after its existence check until `racers` callers of the same key
// have checked, so all of them see "absent" and all of them write. Keys not
// gated behave as a sequential check-then-write (which looks correct).
// REQUIRES: exactly `racers` concurrent calls per gated key, or they wait forever.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "fakes/fault_store.h"

namespace eb::test {

class NonAtomicPutIfAbsentStore : public StoreWrapper {
 public:
  NonAtomicPutIfAbsentStore(ObjectStore& base, int racers,
                            std::function<bool(const std::string&)> gated)
      : StoreWrapper(base), racers_(racers), gated_(std::move(gated)) {}

  Status PutIfAbsent(const std::string& key, const std::string& body) override;

  // PUT-if-absent calls that wrote, all keys together.
  int writes() const;

 private:
  const int racers_;
  const std::function<bool(const std::string&)> gated_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> checked_;  // gated key -> callers past the existence check
  int writes_ = 0;
};

}  // namespace eb::test
