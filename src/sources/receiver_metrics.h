// What the receiver counts, rendered in the Prometheus text exposition format
// (version 0.0.4) for GET /metrics. Every method is thread-safe.
//
//   eventbarrier_arrivals_total            arrivals recorded (a new marker per barrier instance)
//   eventbarrier_duplicates_total          deliveries of arrivals already recorded
//   eventbarrier_ignored_total             records that matched no barrier, test events
//   eventbarrier_late_arrivals_total       arrivals after their instance tripped for good
//   eventbarrier_trips_total               generations tripped complete by this process
//   eventbarrier_timeouts_total            generations tripped with status timeout
//   eventbarrier_redrives_total            unfinished trips finished for someone else
//   eventbarrier_trip_failures_total       trips whose actions failed (re-driven with backoff)
//   eventbarrier_errors_total{kind=...}    failed requests and sweeps, by what went wrong
//   eventbarrier_notifications_total{code=...}  notification POSTs answered, by HTTP status
//   eventbarrier_request_duration_seconds  histogram of the time to answer a notification POST
// (GET /healthz and /metrics are not counted.)
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/engine.h"

namespace eb {

enum class ErrorKind {
  kBadRequest,    // 400: not a notification
  kUnauthorized,  // 401: no or wrong token
  kTooLarge,      // 413
  kMethod,        // 405
  kStore,         // 503: the store was unavailable (the sender retries)
  kInternal,      // 500: the engine failed otherwise (permission, action, bug)
  kDraining,      // 503: refused while shutting down
  kSnsConfirm,    // an SNS subscription confirmation refused or failed
  kSweep,         // the periodic sweep failed
};
inline constexpr size_t kErrorKinds = 9;
const char* ErrorKindName(ErrorKind kind);  // "bad_request", "unauthorized", ...

class ReceiverMetrics {
 public:
  // Upper bounds of the latency buckets, in seconds (+Inf is implied).
  static const std::vector<double>& Buckets();

  void AddTrips(const std::vector<TripSummary>& trips);
  void AddArrivals(int arrivals, int duplicates, int ignored, int late = 0);
  void AddTripFailures(int n) { trip_failures_ += n; }
  void AddError(ErrorKind kind);
  // One notification POST answered with `status` after `seconds`.
  void ObserveNotification(int status, double seconds);

  int64_t arrivals() const { return arrivals_.load(); }
  int64_t duplicates() const { return duplicates_.load(); }
  int64_t late() const { return late_.load(); }
  int64_t trips() const { return trips_.load(); }
  int64_t timeouts() const { return timeouts_.load(); }
  int64_t trip_failures() const { return trip_failures_.load(); }
  int64_t errors(ErrorKind kind) const { return errors_[static_cast<size_t>(kind)].load(); }

  std::string RenderPrometheus() const;

 private:
  std::atomic<int64_t> arrivals_{0}, duplicates_{0}, ignored_{0}, late_{0};
  std::atomic<int64_t> trips_{0}, timeouts_{0}, redrives_{0}, trip_failures_{0};
  std::array<std::atomic<int64_t>, kErrorKinds> errors_{};
  mutable std::mutex mu_;
  std::map<int, int64_t> requests_;  // HTTP status -> count
  std::vector<int64_t> bucket_counts_ =
      std::vector<int64_t>(Buckets().size() + 1, 0);  // last: +Inf
  double latency_sum_ = 0;
  int64_t latency_count_ = 0;
};

}  // namespace eb
