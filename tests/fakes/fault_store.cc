#include "fakes/fault_store.h"

namespace eb::test {

const char* StoreOpName(StoreOp op) {
  switch (op) {
    case StoreOp::kGet: return "GET";
    case StoreOp::kPut: return "PUT";
    case StoreOp::kPutIfAbsent: return "PUT-if-absent";
    case StoreOp::kList: return "LIST";
    case StoreOp::kDelete: return "DELETE";
  }
  return "?";
}

#define EB_COUNT(op) counts_[static_cast<int>(op)]++
Result<std::string> CountingStore::Get(const std::string& key) {
  EB_COUNT(StoreOp::kGet);
  return base_.Get(key);
}
Status CountingStore::Put(const std::string& key, const std::string& body) {
  EB_COUNT(StoreOp::kPut);
  return base_.Put(key, body);
}
Status CountingStore::PutIfAbsent(const std::string& key, const std::string& body) {
  EB_COUNT(StoreOp::kPutIfAbsent);
  return base_.PutIfAbsent(key, body);
}
Result<ListPage> CountingStore::List(const ListOptions& options) {
  EB_COUNT(StoreOp::kList);
  return base_.List(options);
}
Status CountingStore::Delete(const std::string& key) {
  EB_COUNT(StoreOp::kDelete);
  return base_.Delete(key);
}
Status CountingStore::DeleteMany(const std::vector<std::string>& keys) {
  EB_COUNT(StoreOp::kDelete);
  return base_.DeleteMany(keys);
}
std::vector<Result<std::string>> CountingStore::GetMany(const std::vector<std::string>& keys) {
  counts_[static_cast<int>(StoreOp::kGet)] += static_cast<int64_t>(keys.size());
  return base_.GetMany(keys);
}
std::vector<Status> CountingStore::PutIfAbsentMany(
    const std::vector<std::pair<std::string, std::string>>& items) {
  counts_[static_cast<int>(StoreOp::kPutIfAbsent)] += static_cast<int64_t>(items.size());
  return base_.PutIfAbsentMany(items);
}
std::vector<Result<ListPage>> CountingStore::ListMany(const std::vector<ListOptions>& requests) {
  counts_[static_cast<int>(StoreOp::kList)] += static_cast<int64_t>(requests.size());
  return base_.ListMany(requests);
}
#undef EB_COUNT

int64_t CountingStore::total() const {
  int64_t sum = 0;
  for (const auto& c : counts_) sum += c.load();
  return sum;
}

void CountingStore::Reset() {
  for (auto& c : counts_) c = 0;
}

template <typename Call>
auto FaultStore::Apply(StoreOp op, const std::string& key, Call call) -> decltype(call()) {
  switch (policy_(op, key)) {
    case Fault::kNone: return call();
    case Fault::kConflict: return Status::Conflict(std::string("injected 409 on ") + StoreOpName(op) + " " + key);
    case Fault::kUnavailable: return Status::Unavailable(std::string("injected 503 on ") + StoreOpName(op) + " " + key);
    case Fault::kLostAnswer: {
      (void)call();
      return Status::Unavailable(std::string("injected timeout after ") + StoreOpName(op) + " " + key);
    }
    case Fault::kCrashBefore: throw SimulatedCrash{};
    case Fault::kCrashAfter: {
      (void)call();
      throw SimulatedCrash{};
    }
  }
  return call();
}

Result<std::string> FaultStore::Get(const std::string& key) {
  return Apply(StoreOp::kGet, key, [&] { return base_.Get(key); });
}
Status FaultStore::Put(const std::string& key, const std::string& body) {
  return Apply(StoreOp::kPut, key, [&] { return base_.Put(key, body); });
}
Status FaultStore::PutIfAbsent(const std::string& key, const std::string& body) {
  return Apply(StoreOp::kPutIfAbsent, key, [&] { return base_.PutIfAbsent(key, body); });
}
Result<ListPage> FaultStore::List(const ListOptions& options) {
  return Apply(StoreOp::kList, options.prefix, [&] { return base_.List(options); });
}
Status FaultStore::Delete(const std::string& key) {
  return Apply(StoreOp::kDelete, key, [&] { return base_.Delete(key); });
}

Status FaultStore::DeleteMany(const std::vector<std::string>& keys) {
  return Apply(StoreOp::kDelete, keys.empty() ? "" : keys.front(), [&] { return base_.DeleteMany(keys); });
}

Status RecordingActions::Run(const ActionSpec& action, const TripRecord& trip) {
  std::lock_guard<std::mutex> lock(mu_);
  runs_[trip.IdempotencyKey()]++;
  last_trip_[trip.IdempotencyKey()] = trip;
  if (fail && fail(action, trip)) return Status::Unavailable("injected action failure");
  return Status::Ok();
}

std::map<std::string, int> RecordingActions::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

std::map<std::string, TripRecord> RecordingActions::last_trip() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_trip_;
}

}  // namespace eb::test
