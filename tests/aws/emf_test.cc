// Embedded Metric Format lines: the declaration under "_aws" and the values
// beside it, as CloudWatch expects them.
#include "aws/emf.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eb::aws {
namespace {

using nlohmann::json;

TEST(Emf, DeclaresEveryMetricWithValuesAndPutsValuesAtTopLevel) {
  EmfRecord r;
  r.name_space = "EventBarrier";
  r.dimensions = {{"FunctionName", "eb"}};
  r.metrics = {{"Arrivals", "Count", {3}},
               {"TripLatency", "Milliseconds", {1200, 800}},
               {"Unused", "Count", {}}};
  r.properties = {{"requestId", "req-1"}};
  r.timestamp = 1700000000123;
  json line = json::parse(EmfLine(r));
  EXPECT_EQ(line, json::parse(R"({
    "_aws": {"Timestamp": 1700000000123,
             "CloudWatchMetrics": [{"Namespace": "EventBarrier",
                                    "Dimensions": [["FunctionName"]],
                                    "Metrics": [{"Name": "Arrivals", "Unit": "Count"},
                                                {"Name": "TripLatency", "Unit": "Milliseconds"}]}]},
    "FunctionName": "eb", "requestId": "req-1", "Arrivals": 3, "TripLatency": [1200, 800]})"));
  EXPECT_EQ(EmfLine(r).find('\n'), std::string::npos) << "one line";
  EXPECT_NE(EmfLine(r).find(R"("Arrivals":3,)"), std::string::npos) << "whole numbers as integers";
  r.metrics = {{"Ratio", "None", {0.25}}};
  EXPECT_NE(EmfLine(r).find(R"("Ratio":0.25)"), std::string::npos) << EmfLine(r);
}

}  // namespace
}  // namespace eb::aws
