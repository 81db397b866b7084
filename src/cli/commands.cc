// The subcommand table: one line per subcommand.
#include "cli/commands.h"

namespace eb::cli {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kCommands = {
      {"validate", "Check a configuration file (--against STATE: preview it on the open instances)", SetupValidate},
      {"doctor", "Check that a store keeps the promises barriers rely on (atomic PUT-if-absent, LIST, clock)",
       SetupDoctor},
      {"handle", "Process invocation payloads (files or stdin) exactly as the Lambda function does", SetupHandle},
      {"sweep", "Trip overdue generations (timeout), re-drive unfinished trips, compact old state", SetupSweep},
      {"serve", "Receive bucket notifications over HTTP (Ceph RGW, MinIO, SNS, EventBridge)", SetupServe},
      {"events", "Inspect event payloads: 'events decode FILE' prints the records it holds", SetupEvents},
      {"watch", "Embedded mode: watch a folder, trip barriers as files arrive, run actions locally", SetupWatch},
      {"status", "Show every barrier instance: arrived and missing members, last trip, pending re-drives", SetupStatus},
      {"history", "One line per generation of a barrier: how it tripped, latency, objects, late arrivals, reruns", SetupHistory},
      {"trip", "Operator: trip an open generation now although members are missing (--force --reason)", SetupTrip},
      {"rerun", "Operator: run a finished trip's actions again with the same idempotency key", SetupRerun},
      {"migrate", "Convert state written by an older eventbarrier to the current format (run once, workers stopped)", SetupMigrate},
      {"lambda", "Run as the AWS Lambda custom runtime (what the packaged 'bootstrap' does)", SetupLambda},
  };
  return kCommands;
}

}  // namespace eb::cli
