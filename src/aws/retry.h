// Retries for AWS requests, shared by the S3 client and the other services
// (aws/aws_service.h): exponential backoff with full jitter, a request that is
// rebuilt (and so re-signed) before every attempt, and a caller-supplied rule
// for which answers are worth another try.
#pragma once

#include <atomic>
#include <functional>

#include "base/clock.h"
#include "base/status.h"
#include "http/http_client.h"

namespace eb::aws {

struct RetryPolicy {
  int max_attempts = 6;         // including the first
  TimeMs base_delay_ms = 25;    // cap of the first backoff
  TimeMs max_delay_ms = 2'000;  // cap of any backoff
};

// How a client waits between attempts; tests replace both.
struct RetryHooks {
  std::function<void(TimeMs)> sleep;  // default: std::this_thread::sleep_for
  std::function<double()> uniform01;  // default: a thread-local PRNG in [0, 1)
};

// `hooks` with every unset member replaced by its default.
RetryHooks WithDefaultHooks(RetryHooks hooks);

// Full jitter: a uniform delay in [0, min(max, base * 2^(attempt-1))].
TimeMs BackoffDelay(const RetryPolicy& policy, int attempt, double uniform01);

// 409, 429 and every 5xx: what S3 and the JSON/query services answer when
// trying again later can succeed.
bool IsRetryableHttpStatus(int status);

// Sends build() up to policy.max_attempts times, sleeping BackoffDelay between
// attempts. A transport error (Unavailable) is retried; a response is retried
// when retryable(response) says so. Returns the last answer: a response with
// any status, or the transport error. `sent`, if given, counts every request.
// REQUIRES: hooks has both members set (WithDefaultHooks).
Result<http::Response> SendWithRetries(http::Client& http, const RetryPolicy& policy,
                                       const RetryHooks& hooks,
                                       const std::function<http::Request()>& build,
                                       const std::function<bool(const http::Response&)>& retryable,
                                       std::atomic<int64_t>* sent = nullptr);

}  // namespace eb::aws
