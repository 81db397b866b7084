// `eventbarrier trip BARRIER [INSTANCE] --force --reason TEXT`: an operator
// trips the open generation now (cli/operator_ops.h, core/evaluator.h's ForceRequest).
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/operator_ops.h"
#include "cli/operator_session.h"

namespace eb::cli {

namespace {

std::string List(const ordered_json& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i.get<std::string>();
  return out.empty() ? "-" : out;
}

}  // namespace

Runner SetupTrip(CLI::App& sub) {
  struct Opts : OperatorFlags {
    std::string barrier, instance;
    bool force = false, dry_run = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("BARRIER", o->barrier, "The barrier's name")->required();
  sub.add_option("INSTANCE", o->instance,
                 "The instance as `status` shows it (variable values joined by ','); omit for a "
                 "barrier without variables");
  sub.add_flag("--force", o->force,
               "Required: trip the open generation although members are missing");
  sub.add_flag("--dry-run", o->dry_run,
               "Show what would be consumed and what is missing; write nothing");
  AddOperatorFlags(sub, o.get(), "Who forces it",
                   "Required: why (goes into the trip record and the manifest)");
  sub.footer(
      "Claims the instance's open generation now with status `forced`, through the same "
      "PUT-if-absent\n"
      "claim as any trip (arrivals racing it keep every promise), lists the missing members, the "
      "reason\n"
      "and who forced it in the trip record, and runs on_complete (the manifest says \"forced\").\n"
      "Refused when no arrival waits. A generation that is in fact complete trips as complete.\n"
      "Example:\n"
      "  eventbarrier trip daily-sales 2026-11-24 --force --reason \"north feed lost, ok'd by J.\" "
      "\\\n"
      "      --config barriers.json --state s3://bucket/.eventbarrier/ --dry-run");
  return [o] {
    if (!o->force) {
      std::cerr << "error: --force is required: `trip` trips a generation that is not complete\n";
      return static_cast<int>(kExitUsage);
    }
    if (o->reason.empty()) {
      std::cerr << "error: --reason is required: say why the generation is forced (it goes into "
                   "the trip record)\n";
      return static_cast<int>(kExitUsage);
    }
    auto session = OpenOperatorSession(*o);
    if (!session) return static_cast<int>(kExitFailure);
    auto out = ForceTrip(*session->ctx, {o->barrier, o->instance, o->reason, o->by, o->dry_run});
    if (!out.ok()) {
      std::cerr << "error: " << out.status().message() << "\n";
      return static_cast<int>(kExitFailure);
    }
    const ordered_json& j = *out;
    if (o->json) {
      std::cout << Dump(j, 2) << std::endl;
    } else {
      std::string what = j["barrier"].get<std::string>() + "/" + j["instance"].get<std::string>() +
                         " generation " + std::to_string(j["generation"].get<int64_t>());
      std::string status = j["status"];
      std::cout << (o->dry_run ? "dry run: would trip " : "tripped ") << what << " as " << status
                << ": " << j["objects"].size() << " object(s) (" << List(j["objects"])
                << "), missing " << List(j["missing"]) << "; by " << j["by"].get<std::string>()
                << ", reason: " << j["reason"].get<std::string>() << "\n";
      if (!o->dry_run && !j.value("finished", false)) {
        std::cout
            << "its actions did not finish: the trip is re-driven (see `eventbarrier status`)\n";
      }
    }
    return static_cast<int>(kExitOk);
  };
}

}  // namespace eb::cli
