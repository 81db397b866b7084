// Engines are not thread-safe: a pool of them for a process that handles
// several payloads at once (the HTTP receiver's workers and its sweeper).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/engine.h"

namespace eb {

// The pool lends one engine to each caller. Every engine shares the store
// and the actions.
class EnginePool {
 public:
  // Creates `size` engines with `make(i)`.
  EnginePool(int size, const std::function<std::unique_ptr<Engine>(int)>& make);

  // Runs `fn` with an engine of its own; waits while all are lent out.
  template <typename Fn>
  auto With(Fn fn) -> decltype(fn(std::declval<Engine&>())) {
    Engine* engine = Acquire();
    struct Return {
      EnginePool* pool;
      Engine* engine;
      ~Return() { pool->Release(engine); }
    } give_back{this, engine};
    return fn(*engine);
  }

 private:
  Engine* Acquire();
  void Release(Engine* engine);

  std::vector<std::unique_ptr<Engine>> engines_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<Engine*> free_;
};

}  // namespace eb
