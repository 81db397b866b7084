// `eventbarrier migrate`: converts state written by an older eventbarrier
// (state format 1) to the current format (core/migrate.h). Idempotent.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/migrate.h"

namespace eb::cli {

Runner SetupMigrate(CLI::App& sub) {
  struct Opts {
    std::string config, state;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--config,-c", o->config, "Configuration file (its barriers name the state to convert)")->required();
  sub.add_option("--state,-s", o->state, "State location (see handle); default: the configuration's state.url");
  sub.footer(
      "Stop every worker (Lambda: set its reserved concurrency to 0; watch, serve: stop them) before\n"
      "running it, then start them again. For each instance it writes a tombstone for every arrival\n"
      "the old consumed window held, rewrites the trip records without the window, deletes the window\n"
      "checkpoints, then stamps the state format. Running it again changes nothing. Prints one JSON\n"
      "line; progress goes to stderr. See docs/PROTOCOL.md, \"State format\".");
  return [o] {
    auto loaded = LoadConfigAndState(o->config, o->state);
    if (!loaded) return static_cast<int>(kExitFailure);
    SystemClock clock;
    auto report = MigrateState(*loaded->store, loaded->config(), clock, [](const std::string& instance) {
      std::cerr << "migrating " << instance << std::endl;
    });
    nlohmann::ordered_json line;
    line["ok"] = report.ok();
    if (report.ok()) {
      line["already_current"] = report->already_current;
      line["instances"] = report->instances;
      line["records_rewritten"] = report->records_rewritten;
      line["tombstones_written"] = report->tombstones_written;
      line["checkpoints_deleted"] = report->checkpoints_deleted;
    } else {
      line["error"] = report.status().ToString();
    }
    std::cout << line.dump() << std::endl;
    return report.ok() ? static_cast<int>(kExitOk) : static_cast<int>(kExitFailure);
  };
}

}  // namespace eb::cli
