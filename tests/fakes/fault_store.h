// Store wrappers for tests (after leveldb's EnvWrapper / ErrorEnv):
//   CountingStore  records how many calls of each kind reached the store;
//   FaultStore     asks a policy before each call whether to fail it, fail it
//                  after it took effect (the answer was lost), or crash.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "core/action_runner.h"
#include "core/store.h"

namespace eb::test {

enum class StoreOp { kGet, kPut, kPutIfAbsent, kList, kDelete };
const char* StoreOpName(StoreOp op);

// Forwards everything to `base`; subclasses override what they change.
class StoreWrapper : public ObjectStore {
 public:
  explicit StoreWrapper(ObjectStore& base) : base_(base) {}
  Result<std::string> Get(const std::string& key) override { return base_.Get(key); }
  Status Put(const std::string& key, const std::string& body) override { return base_.Put(key, body); }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    return base_.PutIfAbsent(key, body);
  }
  Result<ListPage> List(const ListOptions& options) override { return base_.List(options); }
  Status Delete(const std::string& key) override { return base_.Delete(key); }
  Status DeleteMany(const std::vector<std::string>& keys) override { return base_.DeleteMany(keys); }
  const ServerTimeOffset* ServerTime() const override { return base_.ServerTime(); }
  std::string Describe() const override { return base_.Describe(); }

 protected:
  ObjectStore& base_;
};

class CountingStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::string> Get(const std::string& key) override;
  Status Put(const std::string& key, const std::string& body) override;
  Status PutIfAbsent(const std::string& key, const std::string& body) override;
  Result<ListPage> List(const ListOptions& options) override;
  Status Delete(const std::string& key) override;
  Status DeleteMany(const std::vector<std::string>& keys) override;  // one request
  // Batches count one request per item and go to the base store whole, so a
  // store that runs them concurrently (S3Store) still does under the count.
  std::vector<Result<std::string>> GetMany(const std::vector<std::string>& keys) override;
  std::vector<Status> PutIfAbsentMany(
      const std::vector<std::pair<std::string, std::string>>& items) override;
  std::vector<Result<ListPage>> ListMany(const std::vector<ListOptions>& requests) override;

  int64_t count(StoreOp op) const { return counts_[static_cast<int>(op)].load(); }
  int64_t total() const;
  void Reset();

 private:
  std::atomic<int64_t> counts_[5] = {};
};

// What a FaultStore does with one call.
enum class Fault {
  kNone,
  kConflict,      // 409 before the call takes effect
  kUnavailable,   // 503 before the call takes effect
  kLostAnswer,    // the call takes effect, then 503 (a timeout after the write)
  kCrashBefore,   // throw SimulatedCrash before the call
  kCrashAfter,    // the call takes effect, then throw SimulatedCrash
};

// Thrown by FaultStore to stand for a process dying between two store calls.
struct SimulatedCrash {};

class FaultStore : public StoreWrapper {
 public:
  using Policy = std::function<Fault(StoreOp op, const std::string& key)>;
  FaultStore(ObjectStore& base, Policy policy) : StoreWrapper(base), policy_(std::move(policy)) {}

  Result<std::string> Get(const std::string& key) override;
  Status Put(const std::string& key, const std::string& body) override;
  Status PutIfAbsent(const std::string& key, const std::string& body) override;
  Result<ListPage> List(const ListOptions& options) override;
  Status Delete(const std::string& key) override;
  Status DeleteMany(const std::vector<std::string>& keys) override;

 private:
  template <typename Call>
  auto Apply(StoreOp op, const std::string& key, Call call) -> decltype(call());
  Policy policy_;
};

// A store over `base` that counts the calls `match` picks.
struct WatchedStore {
  WatchedStore(ObjectStore& base, std::function<bool(StoreOp, const std::string&)> match)
      : store(base, [this, match = std::move(match)](StoreOp op, const std::string& key) {
          if (match(op, key)) ++count;
          return Fault::kNone;
        }) {}
  int count = 0;
  FaultStore store;
};

// Records every action run; fails the ones `fail` says to.
class RecordingActions : public ActionRunner {
 public:
  std::function<bool(const ActionSpec&, const TripRecord&)> fail;
  Status Run(const ActionSpec& action, const TripRecord& trip) override;

  // Idempotency key -> number of runs (successful or not).
  std::map<std::string, int> runs() const;
  std::map<std::string, TripRecord> last_trip() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> runs_;
  std::map<std::string, TripRecord> last_trip_;
};

}  // namespace eb::test
