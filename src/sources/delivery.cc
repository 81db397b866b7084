#include "sources/delivery.h"

namespace eb {

Status ProcessDelivery(Engine& engine, const DecodedPayload& payload, DeliveryOutcome* out) {
  bool sweep = false;
  for (const DecodedRecord& record : payload.records) {
    if (record.kind == RecordKind::kSchedule) {
      sweep = true;
      continue;
    }
    if (record.kind != RecordKind::kArrival) {  // s3:TestEvent, other EventBridge events
      ++out->ignored;
      continue;
    }
    auto outcome = engine.OnArrival(record.arrival);
    if (!outcome.ok()) return outcome.status().WithContext(record.arrival.key);
    out->arrivals += outcome->counted;
    out->duplicates += outcome->duplicates;
    out->ignored += outcome->ignored ? 1 : 0;
    out->trips.insert(out->trips.end(), outcome->trips.begin(), outcome->trips.end());
  }
  if (sweep) {
    auto swept = engine.Sweep();
    if (!swept.ok()) return swept.status().WithContext("sweep");
    out->swept = true;
    out->trips.insert(out->trips.end(), swept->trips.begin(), swept->trips.end());
  }
  return Status::Ok();
}

EnginePool::EnginePool(int size, const std::function<std::unique_ptr<Engine>(int)>& make) {
  for (int i = 0; i < std::max(1, size); ++i) {
    engines_.push_back(make(i));
    free_.push_back(engines_.back().get());
  }
}

Engine* EnginePool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  available_.wait(lock, [this] { return !free_.empty(); });
  Engine* e = free_.back();
  free_.pop_back();
  return e;
}

void EnginePool::Release(Engine* engine) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(engine);
  }
  available_.notify_one();
}

}  // namespace eb
