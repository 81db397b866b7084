// What the receiver does with a decoded payload: record and evaluate every
// arrival on an engine. (The same loop as `handle` in cli/cmd_handle.cc; the
// two are to become one shared function.)
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "base/status.h"
#include "core/engine.h"
#include "sources/events.h"

namespace eb {

struct DeliveryOutcome {
  int arrivals = 0;    // new markers written
  int duplicates = 0;  // markers that already existed
  int ignored = 0;     // records matching no barrier, test events, other EventBridge events
  bool swept = false;  // an EventBridge schedule ran the sweeper
  std::vector<TripSummary> trips;
};

// Records every arrival of `payload` in order into `out`, then runs the
// sweeper once if the payload held a schedule event. Stops at the first error
// and returns it; `out` still says what was done before it (trips included):
// that stays valid, and a redelivery of the same payload finishes the work.
// REQUIRES: payload.failures is empty (a payload with undecodable SQS
// messages is refused before it gets here).
Status ProcessDelivery(Engine& engine, const DecodedPayload& payload, DeliveryOutcome* out);

// Engines are not thread-safe: the pool lends one to each caller (worker
// threads, the sweeper). Every engine shares the store and the actions.
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
