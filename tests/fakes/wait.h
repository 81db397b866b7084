// Waiting on a condition with a deadline, instead of sleeping a fixed time and
// hoping: polls `done` every `poll_ms` until it holds or `timeout_ms` has passed.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace eb::test {

// True as soon as `done()` holds; false if it still does not after `timeout_ms`.
inline bool WaitUntil(const std::function<bool()>& done, int timeout_ms, int poll_ms = 10) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return true;
}

}  // namespace eb::test
