#include "aws/retry.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace eb::aws {

RetryHooks WithDefaultHooks(RetryHooks hooks) {
  if (!hooks.sleep) {
    hooks.sleep = [](TimeMs ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  }
  if (!hooks.uniform01) {
    hooks.uniform01 = [] {
      thread_local std::mt19937_64 rng(std::random_device{}());
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
  return hooks;
}

TimeMs BackoffDelay(const RetryPolicy& policy, int attempt, double uniform01) {
  TimeMs cap = policy.base_delay_ms;
  for (int i = 1; i < attempt && cap < policy.max_delay_ms; ++i) cap *= 2;
  cap = std::min(cap, policy.max_delay_ms);
  double u = std::clamp(uniform01, 0.0, 1.0);
  return static_cast<TimeMs>(u * static_cast<double>(cap));
}

bool IsRetryableHttpStatus(int status) { return status == 409 || status == 429 || status >= 500; }

Result<http::Response> SendWithRetries(http::Client& http, const RetryPolicy& policy,
                                       const RetryHooks& hooks,
                                       const std::function<http::Request()>& build,
                                       const std::function<bool(const http::Response&)>& retryable,
                                       std::atomic<int64_t>* sent) {
  for (int attempt = 1;; ++attempt) {
    http::Request request = build();  // re-signed each time: the date moves on
    if (sent != nullptr) ++*sent;
    Result<http::Response> res = http.Send(request);
    bool retry = res.ok() ? retryable(*res) : res.status().code() == Code::kUnavailable;
    if (!retry || attempt >= policy.max_attempts) return res;
    hooks.sleep(BackoffDelay(policy, attempt, hooks.uniform01()));
  }
}

}  // namespace eb::aws
