#include "sources/receiver_metrics.h"

#include <cstdio>

namespace eb {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadRequest:
      return "bad_request";
    case ErrorKind::kUnauthorized:
      return "unauthorized";
    case ErrorKind::kTooLarge:
      return "too_large";
    case ErrorKind::kMethod:
      return "method";
    case ErrorKind::kStore:
      return "store_unavailable";
    case ErrorKind::kInternal:
      return "internal";
    case ErrorKind::kDraining:
      return "draining";
    case ErrorKind::kSnsConfirm:
      return "sns_confirm";
    case ErrorKind::kSweep:
      return "sweep";
  }
  return "unknown";
}

const std::vector<double>& ReceiverMetrics::Buckets() {
  static const std::vector<double> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,    2.5,   5,    10};
  return kBuckets;
}

void ReceiverMetrics::AddTrips(const std::vector<TripSummary>& trips) {
  for (const TripSummary& t : trips) {
    if (t.redriven) {
      ++redrives_;
    } else if (t.status == TripStatus::kTimeout) {
      ++timeouts_;
    } else {
      ++trips_;
    }
  }
}

void ReceiverMetrics::AddArrivals(int arrivals, int duplicates, int ignored, int late) {
  arrivals_ += arrivals;
  late_ += late;
  duplicates_ += duplicates;
  ignored_ += ignored;
}

void ReceiverMetrics::AddError(ErrorKind kind) { ++errors_[static_cast<size_t>(kind)]; }

void ReceiverMetrics::ObserveNotification(int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[status];
  const auto& bounds = Buckets();
  size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  ++bucket_counts_[i];
  latency_sum_ += seconds;
  ++latency_count_;
}

namespace {

void Counter(std::string* out, const char* name, const char* help, int64_t value) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name +
          " " + std::to_string(value) + "\n";
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

std::string ReceiverMetrics::RenderPrometheus() const {
  std::string out;
  Counter(&out, "eventbarrier_arrivals_total", "Arrivals recorded (one per barrier instance).",
          arrivals_.load());
  Counter(&out, "eventbarrier_duplicates_total", "Deliveries of arrivals already recorded.",
          duplicates_.load());
  Counter(&out, "eventbarrier_ignored_total", "Records that matched no barrier, and test events.",
          ignored_.load());
  Counter(&out, "eventbarrier_late_arrivals_total",
          "Arrivals after their instance tripped for good: never consumed, on_late ran.",
          late_.load());
  Counter(&out, "eventbarrier_trips_total", "Generations tripped complete by this process.",
          trips_.load());
  Counter(&out, "eventbarrier_timeouts_total", "Generations tripped with status timeout.",
          timeouts_.load());
  Counter(&out, "eventbarrier_redrives_total",
          "Unfinished trips whose actions this process re-ran.", redrives_.load());
  Counter(&out, "eventbarrier_trip_failures_total",
          "Trips whose actions failed: left unfinished, re-driven with backoff.",
          trip_failures_.load());
  out += "# HELP eventbarrier_errors_total Failed requests and sweeps, by kind.\n";
  out += "# TYPE eventbarrier_errors_total counter\n";
  for (size_t k = 0; k < kErrorKinds; ++k) {
    out += std::string("eventbarrier_errors_total{kind=\"") +
           ErrorKindName(static_cast<ErrorKind>(k)) + "\"} " + std::to_string(errors_[k].load()) +
           "\n";
  }
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP eventbarrier_notifications_total Notification POSTs answered, by HTTP status.\n";
  out += "# TYPE eventbarrier_notifications_total counter\n";
  for (const auto& [code, n] : requests_) {
    out += "eventbarrier_notifications_total{code=\"" + std::to_string(code) + "\"} " +
           std::to_string(n) + "\n";
  }
  out += "# HELP eventbarrier_request_duration_seconds Time to answer a notification POST.\n";
  out += "# TYPE eventbarrier_request_duration_seconds histogram\n";
  int64_t cumulative = 0;
  const auto& bounds = Buckets();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += bucket_counts_[i];
    std::string le = i < bounds.size() ? Number(bounds[i]) : "+Inf";
    out += "eventbarrier_request_duration_seconds_bucket{le=\"" + le + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += "eventbarrier_request_duration_seconds_sum " + Number(latency_sum_) + "\n";
  out += "eventbarrier_request_duration_seconds_count " + std::to_string(latency_count_) + "\n";
  return out;
}

}  // namespace eb
