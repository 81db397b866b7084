// A deterministic scheduler for real threads: exactly one simulated worker
// runs at any moment, and it hands the turn on only at a store call (or when
// it finishes). Which parked worker runs next is drawn from a seeded RNG, so
// a seed replays the same interleaving, fault and crash decisions exactly.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <vector>

namespace eb::sim {

class Scheduler {
 public:
  Scheduler(uint64_t seed, int workers);

  // Worker `w`: park and wait for the turn (call before every store call).
  void Yield(int w);
  // Worker `w` is done for good; the turn passes on.
  void Finish(int w);
  // Main thread: once every worker has parked, hand out the first turn, then
  // wait until all have finished.
  void RunToCompletion();

  // The seeded RNG. Only the worker holding the turn (or the main thread
  // before/after the run) may use it.
  std::mt19937_64& rng() { return rng_; }
  uint64_t steps() const { return steps_; }

 private:
  enum class State { kStarting, kParked, kRunning, kFinished };
  void PickNextLocked();

  std::mutex mu_;
  std::condition_variable main_cv_;                 // the main thread waits here
  std::vector<std::condition_variable> worker_cv_;  // each worker waits on its own
  std::vector<State> state_;
  int turn_ = -1;
  std::mt19937_64 rng_;
  uint64_t steps_ = 0;
};

// The simulated worker running on this thread (-1: none, e.g. the final sweep).
int CurrentWorker();
void SetCurrentWorker(int w);

}  // namespace eb::sim
