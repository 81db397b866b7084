#include "aws/emf.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace eb::aws {

std::string EmfLine(const EmfRecord& record) {
  using nlohmann::ordered_json;
  ordered_json dimension_names = ordered_json::array();
  for (const auto& [name, value] : record.dimensions) dimension_names.push_back(name);
  ordered_json declared = ordered_json::array();
  for (const auto& m : record.metrics) {
    if (!m.values.empty()) declared.push_back({{"Name", m.name}, {"Unit", m.unit}});
  }
  ordered_json line;
  line["_aws"] = {{"Timestamp", record.timestamp},
                  {"CloudWatchMetrics",
                   ordered_json::array({{{"Namespace", record.name_space},
                                         {"Dimensions", ordered_json::array({dimension_names})},
                                         {"Metrics", declared}}})}};
  for (const auto& [name, value] : record.dimensions) line[name] = value;
  for (const auto& [name, value] : record.properties) line[name] = value;
  // Whole numbers as integers ("Trips":1, not 1.0): easier to read in the log. (Not
  // std::floor: at -Os that is a call into libm, one more library in the Lambda zip.)
  auto number = [](double v) -> ordered_json {
    if (std::fabs(v) < 9e15 && static_cast<double>(static_cast<int64_t>(v)) == v) {
      return static_cast<int64_t>(v);
    }
    return v;
  };
  for (const auto& m : record.metrics) {
    if (m.values.size() == 1) {
      line[m.name] = number(m.values.front());
    } else if (!m.values.empty()) {
      ordered_json values = ordered_json::array();
      for (double v : m.values) values.push_back(number(v));
      line[m.name] = std::move(values);
    }
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace eb::aws
