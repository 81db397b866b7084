// CloudWatch Embedded Metric Format: a metric is a log line. One JSON object
// whose "_aws" member declares the namespace, the dimension set and each
// metric's name and unit; the dimension values and metric values are
// top-level members of the same object. CloudWatch Logs extracts the metrics
// from the function's stdout; other members stay searchable log fields.
// Pure: the caller passes the time and writes the line.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace eb::aws {

struct EmfMetric {
  std::string name;
  std::string unit;            // "Count", "Milliseconds", ...
  std::vector<double> values;  // one value, or several (e.g. one latency per trip)
};

struct EmfRecord {
  std::string name_space;                                       // e.g. "EventBarrier"
  std::vector<std::pair<std::string, std::string>> dimensions;  // one dimension set
  std::vector<EmfMetric> metrics;  // a metric without values is left out
  std::vector<std::pair<std::string, std::string>> properties;  // extra fields (requestId)
  TimeMs timestamp = 0;
};

// The record as one line (no trailing newline).
std::string EmfLine(const EmfRecord& record);

}  // namespace eb::aws
