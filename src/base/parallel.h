// Running independent calls at once, bounded: a store that talks to a
// network sends a batch (a trip's tombstones, the marker bodies a claimant
// reads) over several connections instead of one after another.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace eb {

// Calls fn(i) for every i in [0, n), on up to `max_parallel` threads (the
// calling one included). Returns when every call has returned. `fn` must be
// safe to call concurrently for distinct i and must not throw.
template <typename Fn>
void ParallelFor(size_t n, size_t max_parallel, Fn fn) {
  size_t threads = std::min(n, std::max<size_t>(1, max_parallel));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto drain = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::thread> helpers;
  helpers.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(drain);
  drain();
  for (auto& h : helpers) h.join();
}

}  // namespace eb
