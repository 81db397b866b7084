// What every part of the engine shares: the configuration, the store, the
// actions, the clock, the log, the options and the key layout, plus the two
// store helpers every protocol step uses. A plain bundle of references owned
// by the Engine; the evaluator, the trip log and the finisher get it instead
// of reaching into the Engine's private members.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "core/action_runner.h"
#include "core/config.h"
#include "core/engine_options.h"
#include "core/keys.h"
#include "core/store.h"

namespace eb {

struct EngineContext {
  const Config& config;
  ObjectStore& store;
  ActionRunner& actions;
  Clock& clock;
  Logger& log;
  const EngineOptions& options;
  const KeyLayout& layout;

  // PUT (or PUT-if-absent) of one state object, retrying only Conflict.
  Status Put(const StateKey& key, const std::string& body, bool if_absent) const;
  // Deletes `keys` in batches of at most 1,000 (one DeleteObjects each).
  Status DeleteKeys(const std::vector<std::string>& keys) const;
  // How far an object's LastModified may be from what the engine's clock
  // read when it wrote it: the store's timestamp resolution plus what the
  // engine knows of its offset from the store's clock.
  TimeMs StampMarginMs() const;
};

}  // namespace eb
