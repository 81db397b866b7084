// `eventbarrier status`: the report of core/status_report.h, as a table for
// people or JSON for scripts.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/status_report.h"

namespace eb::cli {

namespace {

using ordered_json = nlohmann::ordered_json;

std::string Iso(TimeMs ms) { return ms == 0 ? "" : FormatIso8601(ms); }

// "12s ago", "in 3m" (coarse, for people).
std::string Relative(TimeMs at, TimeMs now) {
  TimeMs d = now - at;
  bool future = d < 0;
  if (future) d = -d;
  std::string amount = d < 1000 ? "0s" : FormatDuration(d / 1000 * 1000);
  // Keep the largest unit or two: "1h30m", not "1h30m12s".
  if (d >= 3'600'000) amount = FormatDuration(d / 60'000 * 60'000);
  return future ? "in " + amount : amount + " ago";
}

ordered_json ToJson(const InstanceStatus& s) {
  ordered_json j{{"barrier", s.barrier},
                 {"instance", s.instance},
                 {"vars", s.vars},
                 {"mode", ModeName(s.mode)},
                 {"generation", s.generation},
                 {"finished", s.finished},
                 {"progress", std::to_string(s.have) + "/" + std::to_string(s.needed)},
                 {"have", s.have},
                 {"needed", s.needed},
                 {"arrived", s.arrived},
                 {"missing", s.missing},
                 {"arrivals", s.arrivals},
                 {"first_arrival_at", Iso(s.first_arrival_at)},
                 {"deadline", s.deadline ? Iso(*s.deadline) : ""}};
  if (s.last_trip) {
    const LastTripStatus& t = *s.last_trip;
    ordered_json actions = ordered_json::array();
    for (const auto& a : t.done_record.actions) {
      ordered_json report = ordered_json::object();
      for (const auto& [k, v] : a.fields) report[k] = v;
      actions.push_back({{"type", a.type}, {"report", report}});
    }
    j["last_trip"] = {{"generation", t.generation},   {"status", TripStatusName(t.status)},
                      {"tripped_at", Iso(t.claimed_at)}, {"objects", t.objects},
                      {"missing", t.missing},          {"done", t.done},
                      {"done_by", t.done_record.by},   {"done_at", Iso(t.done_record.at)},
                      {"actions", actions}};
  } else {
    j["last_trip"] = nullptr;
  }
  ordered_json pending = ordered_json::array();
  for (const auto& p : s.pending) {
    pending.push_back({{"generation", p.generation}, {"attempts", p.attempts}, {"since", Iso(p.last_activity)}});
  }
  j["pending_redrives"] = pending;
  return j;
}

std::string Join(const std::vector<std::string>& items, size_t max_items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max_items) out += ", +" + std::to_string(items.size() - max_items) + " more";
  return out.empty() ? "-" : out;
}

void PrintTable(const StatusReport& report, TimeMs now) {
  std::vector<std::vector<std::string>> rows = {
      {"BARRIER", "INSTANCE", "GEN", "HAVE", "STATE", "MISSING", "LAST TRIP"}};
  for (const auto& s : report.instances) {
    std::string state;
    if (!s.pending.empty()) {
      state = "re-drive pending (gen " + std::to_string(s.pending.front().generation) + ")";
    } else if (s.finished) {
      state = s.last_trip && s.last_trip->status == TripStatus::kTimeout ? "timed out" : "tripped";
    } else if (s.arrivals == 0) {
      state = "waiting";
    } else if (s.deadline) {
      state = *s.deadline <= now ? "overdue" : "times out " + Relative(*s.deadline, now);
    } else {
      state = "collecting";
    }
    std::string last = "-";
    if (s.last_trip) {
      last = "#" + std::to_string(s.last_trip->generation) + " " + TripStatusName(s.last_trip->status) + " " +
             Relative(s.last_trip->claimed_at, now) + (s.last_trip->done ? "" : " (actions not done)");
    }
    rows.push_back({s.barrier, s.instance, std::to_string(s.generation),
                    std::to_string(s.have) + "/" + std::to_string(s.needed), state, Join(s.missing, 3), last});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
  if (report.instances.empty()) std::cout << "(no barrier instances)\n";
  for (const auto& w : report.warnings) std::cout << "warning: " << w << "\n";
}

}  // namespace

Runner SetupStatus(CLI::App& sub) {
  struct Opts {
    std::string config, state;
    bool json = false, all = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--config,-c", o->config, "Configuration file")->required();
  sub.add_option("--state,-s", o->state, "State location (as for handle and watch; for watch's default, the watched folder)");
  sub.add_flag("--json", o->json, "One JSON document for scripts instead of the table");
  sub.add_flag("--all", o->all, "Also instances that already tripped and left the open index (lists all state: slower)");
  sub.footer(
      "For every barrier instance with an open generation (and every barrier without variables): the\n"
      "generation, members arrived (HAVE, e.g. 2/3) and missing, the deadline, the last trip, and trips\n"
      "whose actions have not succeeded yet (pending re-drives). Reads only.");
  return [o] {
    auto loaded = LoadConfigAndState(o->config, o->state);
    if (!loaded) return static_cast<int>(kExitFailure);
    auto report = BuildStatusReport(*loaded->store, loaded->config(), {.all_instances = o->all});
    if (!report.ok()) {
      std::cerr << "error: " << report.status().ToString() << "\n";
      return static_cast<int>(kExitFailure);
    }
    SystemClock clock;
    if (o->json) {
      ordered_json out{{"instances", ordered_json::array()}, {"warnings", report->warnings}};
      for (const auto& s : report->instances) out["instances"].push_back(ToJson(s));
      std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    } else {
      PrintTable(*report, clock.NowMs());
    }
    return static_cast<int>(kExitOk);
  };
}

}  // namespace eb::cli
