// eventbarrier: a thin main over the subcommand table in cli/commands.h.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/lambda_function.h"

int main(int argc, char** argv) {
  using namespace eb::cli;
  // The Lambda runtime starts before any command-line machinery (cold start).
  if (LambdaModeRequested(argv[0], argc, eb::ProcessEnv())) return RunLambda(argv[0]);
  CLI::App app{
      "eventbarrier: start a job exactly once when all of its input objects have arrived.\n"
      "A barrier lists the object keys (or key patterns like sales/{date}/east.csv) it waits for;\n"
      "every S3 notification is recorded in a state store, and the arrival that completes a\n"
      "generation trips it: its actions run, with the manifest of every object consumed."};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  eventbarrier validate barriers.json\n"
      "  eventbarrier handle --config barriers.json --state /var/lib/eb event.json\n"
      "  eventbarrier sweep --config barriers.json --state /var/lib/eb\n"
      "  eventbarrier watch --config barriers.json --dir /data/inbox\n"
      "  eventbarrier status --config barriers.json --state /data/inbox [--html status.html]\n"
      "  eventbarrier history daily-sales 2026-11-24 --config barriers.json --state /data/inbox\n"
      "  eventbarrier trip daily-sales 2026-11-24 --force --reason \"north feed lost\" --config barriers.json\n"
      "  eventbarrier rerun daily-sales 2026-11-24 3 --config barriers.json\n"
      "  eventbarrier serve --config barriers.json --state s3://bucket/.eventbarrier/ --listen 127.0.0.1:8080\n"
      "  eventbarrier doctor --state s3://bucket/.eventbarrier/   (before trusting a new store)\n"
      "  eventbarrier lambda   (the AWS Lambda runtime; also as 'bootstrap', see docs/LAMBDA.md)\n"
      "Run 'eventbarrier COMMAND --help' for a command's options.");
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const Command& c : AllCommands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    runners.emplace_back(sub, c.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return run();
  }
  return kExitUsage;
}
