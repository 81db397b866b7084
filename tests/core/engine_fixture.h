// The fixture of the engine's own tests: one engine over the in-memory store,
// a fake clock and recording actions, loaded from a JSON configuration.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "base/log.h"
#include "core/engine.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb::test {

class EngineFixture : public ::testing::Test {
 protected:
  // Parses `json` and starts a new engine on it (the store keeps its state).
  void Load(const std::string& json) {
    parsed_ = ParseConfig(json);
    // Throwing ends the test (gtest reports it) instead of running on with no engine.
    if (!parsed_.ok()) throw std::runtime_error("bad test configuration: " + parsed_.ErrorText());
    engine_ = std::make_unique<Engine>(parsed_.config, store_, actions_, clock_, Logger::Null());
  }
  FakeClock clock_;
  MemoryStore store_{clock_};
  RecordingActions actions_;
  ConfigParse parsed_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace eb::test
