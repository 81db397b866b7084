#include "sources/engine_pool.h"

#include <algorithm>

namespace eb {

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
