// An action runner that runs nothing and records the type of each action it was
// given, in order; its reports say {"ran_by": "fallback"} (it stands in for the
// local runner behind the AWS one).
#pragma once

#include <string>
#include <vector>

#include "core/action_runner.h"

namespace eb::test {

class RecordingRunner : public ActionRunner {
 public:
  Status Run(const ActionSpec& action, const TripRecord&) override {
    ran.push_back(action.type);
    return Status::Ok();
  }
  Status RunReporting(const ActionSpec& action, const TripRecord& trip,
                      ActionReport* report) override {
    report->Add("ran_by", "fallback");
    return Run(action, trip);
  }
  std::vector<std::string> ran;  // action types, in the order they ran
};

}  // namespace eb::test
