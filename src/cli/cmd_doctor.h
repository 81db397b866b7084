// `eventbarrier doctor` (cli/doctor_checks.h has the checks). main.cc adds its
// entry to the subcommand table after `validate`, until commands.cc (under
// rewrite in another checkout) lists it itself.
#pragma once

#include "cli/commands.h"

namespace eb::cli {

Runner SetupDoctor(CLI::App& sub);
Command DoctorCommand();

}  // namespace eb::cli
