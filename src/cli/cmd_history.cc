// `eventbarrier history BARRIER [INSTANCE]`: one line per generation (core/history.h).
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/operator_ops.h"
#include "cli/table.h"

namespace eb::cli {

namespace {

std::string ActionsText(const ordered_json& actions) {
  std::string out;
  for (const auto& a : actions) {
    std::string item = a["type"];
    const auto& report = a["report"];
    if (report.contains("exit_code")) item += " exit " + report["exit_code"].get<std::string>();
    if (report.contains("http_status")) item += " " + report["http_status"].get<std::string>();
    out += (out.empty() ? "" : ", ") + item;
  }
  return out.empty() ? "-" : out;
}

std::string Note(const ordered_json& g) {
  std::string note;
  if (g.contains("forced_by"))
    note = "forced by " + g["forced_by"].get<std::string>() + ": " + g["reason"].get<std::string>();
  if (!g["missing"].empty()) {
    std::string missing;
    for (const auto& m : g["missing"])
      missing += (missing.empty() ? "" : ", ") + m.get<std::string>();
    note += (note.empty() ? "" : "; ") + std::string("missing ") + missing;
  }
  if (g["stale"].get<size_t>() > 0)
    note += (note.empty() ? "" : "; ") + std::to_string(g["stale"].get<size_t>()) +
            " stale duplicate(s)";
  if (g["redrives"].get<int>() > 0)
    note += (note.empty() ? "" : "; ") + std::to_string(g["redrives"].get<int>()) + " re-drive(s)";
  return note;
}

}  // namespace

Runner SetupHistory(CLI::App& sub) {
  struct Opts {
    std::string config, state, barrier, instance;
    size_t last = 20;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("BARRIER", o->barrier, "The barrier's name")->required();
  sub.add_option("INSTANCE", o->instance,
                 "One instance as `status` shows it; default: every instance in the open index");
  sub.add_option("--config,-c", o->config, "Configuration file")->required();
  sub.add_option("--state,-s", o->state,
                 "State location (see handle); default: the configuration's state.url");
  sub.add_option("--last", o->last, "Generations per instance, newest first (default 20)")
      ->check(CLI::PositiveNumber);
  sub.add_flag("--json", o->json, "One JSON document for scripts instead of the table");
  sub.footer(
      "One line per generation, newest first: how it ended (complete, timeout, forced; void when "
      "its\n"
      "arrivals were stale duplicates, unfinished while its actions have not succeeded), when it "
      "tripped,\n"
      "first arrival -> trip latency, objects consumed, late arrivals (members missing at a "
      "timeout or\n"
      "forced trip that arrived afterwards), the actions' reports and operator reruns. Reads only; "
      "lists\n"
      "the instance's whole t/ (what `sweep --compact` keeps).\n"
      "Example:\n"
      "  eventbarrier history daily-sales 2026-11-24 --last 5 --config barriers.json --state "
      "/var/lib/eb");
  return [o] {
    auto loaded = LoadConfigAndState(o->config, o->state);
    if (!loaded) return static_cast<int>(kExitFailure);
    auto out = History(*loaded->store, loaded->config(), {o->barrier, o->instance, o->last});
    if (!out.ok()) {
      std::cerr << "error: " << out.status().message() << "\n";
      return static_cast<int>(kExitFailure);
    }
    if (o->json) {
      std::cout << Dump(*out, 2) << std::endl;
      return static_cast<int>(kExitOk);
    }
    std::vector<std::vector<std::string>> rows = {{"INSTANCE", "GEN", "OUTCOME", "TRIPPED",
                                                   "LATENCY", "OBJECTS", "LATE", "ACTIONS",
                                                   "RERUNS", "NOTE"}};
    for (const auto& g : (*out)["generations"]) {
      rows.push_back({g["instance"], std::to_string(g["generation"].get<int64_t>()), g["outcome"],
                      g["tripped_at"], FormatDuration(g["latency_ms"].get<TimeMs>()),
                      std::to_string(g["objects"].get<size_t>()),
                      std::to_string(g["late"].get<size_t>()), ActionsText(g["actions"]),
                      std::to_string(g["reruns"].size()), Note(g)});
    }
    PrintTable(rows, std::cout);
    if (rows.size() == 1) std::cout << "(no generation claimed yet)\n";
    return static_cast<int>(kExitOk);
  };
}

}  // namespace eb::cli
