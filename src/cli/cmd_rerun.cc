// `eventbarrier rerun BARRIER INSTANCE GENERATION [--action N]`: runs a
// finished trip's actions again with the same idempotency key and records
// the rerun beside the trip (core/rerun.h).
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/operator_ops.h"
#include "cli/operator_session.h"

namespace eb::cli {

Runner SetupRerun(CLI::App& sub) {
  struct Opts : OperatorFlags {
    std::string barrier, instance;
    int64_t generation = 0;
    int action = -1;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("BARRIER", o->barrier, "The barrier's name")->required();
  sub.add_option("INSTANCE", o->instance,
                 "The instance as `status` shows it (_ for a barrier without variables)")
      ->required();
  sub.add_option("GENERATION", o->generation,
                 "The generation whose actions run again (see `history`)")
      ->required()
      ->check(CLI::PositiveNumber);
  sub.add_option(
         "--action", o->action,
         "Only this action: its index in on_complete (on_timeout for a timeout trip), from 0")
      ->check(CLI::NonNegativeNumber);
  AddOperatorFlags(sub, o.get(), "Who reruns it", "Why (recorded with the rerun)");
  sub.footer(
      "Runs the actions of a finished trip again with the same record, so the same idempotency "
      "key\n"
      "(barrier/instance/generation) and manifest: a downstream that deduplicates sees a repeat. "
      "The\n"
      "rerun (who, when, why, each action's report) is recorded at t/<gen>.rerun-<n> beside the "
      "trip;\n"
      "the trip's outcome is never changed. Unfinished and void generations are refused.\n"
      "Exits 1 when an action fails (the failed rerun is recorded too).\n"
      "Example:\n"
      "  eventbarrier rerun daily-sales 2026-11-24 3 --action 1 --reason \"loader was down\" \\\n"
      "      --config barriers.json --state s3://bucket/.eventbarrier/");
  return [o] {
    auto session = OpenOperatorSession(*o);
    if (!session) return static_cast<int>(kExitFailure);
    RerunArgs args{o->barrier, o->instance, o->generation, std::nullopt, o->by, o->reason};
    if (o->action >= 0) args.action = static_cast<size_t>(o->action);
    auto out = RerunTrip(*session->ctx, args);
    if (!out.ok()) {
      std::cerr << "error: " << out.status().message() << "\n";
      return static_cast<int>(kExitFailure);
    }
    if (o->json) {
      std::cout << Dump(*out, 2) << std::endl;
    } else {
      const ordered_json& j = *out;
      std::string ran;
      for (const auto& a : j["actions"]) {
        ran += (ran.empty() ? "" : ", ") + a["type"].get<std::string>() + "[" +
               std::to_string(a["index"].get<size_t>()) + "]";
      }
      std::cout << "rerun " << j["rerun"].get<int>() << " of "
                << j["idempotency_key"].get<std::string>() << ": ran " << ran << "; by "
                << j["by"].get<std::string>() << "\n";
    }
    return static_cast<int>(kExitOk);
  };
}

}  // namespace eb::cli
