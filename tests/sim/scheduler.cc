#include "sim/scheduler.h"

#include <algorithm>

namespace eb::sim {

namespace {
thread_local int current_worker = -1;
}  // namespace

int CurrentWorker() { return current_worker; }
void SetCurrentWorker(int w) { current_worker = w; }

Scheduler::Scheduler(uint64_t seed, int workers)
    : worker_cv_(workers), state_(workers, State::kStarting), rng_(seed) {}

void Scheduler::PickNextLocked() {
  std::vector<int> parked;
  for (int i = 0; i < static_cast<int>(state_.size()); ++i) {
    if (state_[i] == State::kParked) parked.push_back(i);
  }
  if (parked.empty()) {
    turn_ = -1;
  } else {
    turn_ = parked[std::uniform_int_distribution<size_t>(0, parked.size() - 1)(rng_)];
    state_[turn_] = State::kRunning;
    ++steps_;
    worker_cv_[turn_].notify_one();
  }
  main_cv_.notify_one();
}

void Scheduler::Yield(int w) {
  std::unique_lock<std::mutex> lock(mu_);
  bool starting = state_[w] == State::kStarting;
  state_[w] = State::kParked;
  if (starting) {
    main_cv_.notify_one();  // RunToCompletion waits for every worker to park once
  } else {
    PickNextLocked();
  }
  worker_cv_[w].wait(lock, [&] { return turn_ == w; });
}

void Scheduler::Finish(int w) {
  std::unique_lock<std::mutex> lock(mu_);
  state_[w] = State::kFinished;
  PickNextLocked();
}

void Scheduler::RunToCompletion() {
  std::unique_lock<std::mutex> lock(mu_);
  main_cv_.wait(lock, [&] {
    return std::none_of(state_.begin(), state_.end(), [](State s) { return s == State::kStarting; });
  });
  PickNextLocked();
  main_cv_.wait(lock, [&] {
    return std::all_of(state_.begin(), state_.end(), [](State s) { return s == State::kFinished; });
  });
}

}  // namespace eb::sim
