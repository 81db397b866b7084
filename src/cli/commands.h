// Subcommands, as a table: each registers its options on a CLI11 app and
// returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace eb::cli {

using Runner = std::function<int()>;

struct Command {
  const char* name;
  const char* summary;
  Runner (*setup)(CLI::App& sub);
};

Runner SetupValidate(CLI::App& sub);
Runner SetupDoctor(CLI::App& sub);
Runner SetupHandle(CLI::App& sub);
Runner SetupSweep(CLI::App& sub);
Runner SetupEvents(CLI::App& sub);
Runner SetupWatch(CLI::App& sub);
Runner SetupStatus(CLI::App& sub);
Runner SetupLambda(CLI::App& sub);
Runner SetupServe(CLI::App& sub);
Runner SetupMigrate(CLI::App& sub);
Runner SetupTrip(CLI::App& sub);
Runner SetupRerun(CLI::App& sub);
Runner SetupHistory(CLI::App& sub);

const std::vector<Command>& AllCommands();

}  // namespace eb::cli
