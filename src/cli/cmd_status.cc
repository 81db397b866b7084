// `eventbarrier status`: the report of core/status_report.h, as a table for
// people or JSON for scripts.
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/operator_ops.h"
#include "cli/status_page.h"
#include "cli/table.h"
#include "core/status_report.h"

namespace eb::cli {

namespace {


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

std::string Join(const std::vector<std::string>& items, size_t max_items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max_items) out += ", +" + std::to_string(items.size() - max_items) + " more";
  return out.empty() ? "-" : out;
}

void PrintStatusTable(const StatusReport& report, TimeMs now) {
  std::vector<std::vector<std::string>> rows = {
      {"BARRIER", "INSTANCE", "GEN", "HAVE", "STATE", "MISSING", "LAST TRIP"}};
  struct Failing {
    std::string instance;
    int64_t generation;
    std::string error;
  };
  std::vector<Failing> failing;
  for (const auto& s : report.instances) {
    std::string state;
    if (!s.pending.empty()) {
      const PendingTrip& p = s.pending.front();
      state = "re-drive pending (gen " + std::to_string(p.generation) + ")";
      if (p.failures > 0) {
        // A trip whose actions keep failing: how often, why, when it is tried again.
        state = "failing (gen " + std::to_string(p.generation) + ", " + std::to_string(p.failures) +
                " failed attempt(s), next " + Relative(p.next_attempt_at, now) + ")";
        if (p.last_failure)
          failing.push_back({s.barrier + "/" + s.instance, p.generation, p.last_failure->error});
      }
    } else if (s.finished) {
      TripStatus how = s.last_trip ? s.last_trip->status : TripStatus::kComplete;
      state = how == TripStatus::kTimeout ? "timed out" : how == TripStatus::kForced ? "forced" : "tripped";
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
    if (s.late_arrivals > 0) state += ", " + std::to_string(s.late_arrivals) + " late";
    rows.push_back({s.barrier, s.instance, std::to_string(s.generation),
                    std::to_string(s.have) + "/" + std::to_string(s.needed), state, Join(s.missing, 3), last});
  }
  PrintTable(rows, std::cout);
  if (report.instances.empty()) std::cout << "(no barrier instances)\n";
  for (const auto& f : failing) {
    std::cout << "failing: " << f.instance << " generation " << f.generation << ": " << f.error
              << "\n";
  }
  for (const auto& w : report.warnings) std::cout << "warning: " << w << "\n";
}

}  // namespace

Runner SetupStatus(CLI::App& sub) {
  struct Opts {
    std::string config, state, html;
    bool json = false, all = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--config,-c", o->config, "Configuration file")->required();
  sub.add_option("--state,-s", o->state, "State location (as for handle and watch; for watch's default, the watched folder)");
  sub.add_flag("--json", o->json, "One JSON document for scripts instead of the table");
  sub.add_option("--html", o->html,
                 "Write the status page to FILE (one self-contained HTML file: progress, missing members, countdowns, "
                 "trip latency; works from file://)");
  sub.add_flag("--all", o->all, "Also instances that already tripped and left the open index (lists all state: slower)");
  sub.footer(
      "For every barrier instance with an open generation (and every barrier without variables): the\n"
      "generation, members arrived (HAVE, e.g. 2/3) and missing, the deadline, the last trip, and trips\n"
      "whose actions have not succeeded yet (pending re-drives). Reads only. `serve` shows the same\n"
      "page at / (refreshing itself) and its JSON at /api/status, behind its token.\n"
      "Examples:\n"
      "  eventbarrier status --config barriers.json --state /var/lib/eb\n"
      "  eventbarrier status --config barriers.json --state s3://bucket/.eventbarrier/ --html status.html");
  return [o] {
    auto loaded = LoadConfigAndState(o->config, o->state);
    if (!loaded) return static_cast<int>(kExitFailure);
    SystemClock clock;
    if (!o->html.empty()) {
      auto status = StatusJson(*loaded->store, loaded->config(), {.all = o->all, .trips = kStatusPageTrips}, clock.NowMs());
      if (!status.ok()) {
        std::cerr << "error: " << status.status().ToString() << "\n";
        return static_cast<int>(kExitFailure);
      }
      std::ofstream out(o->html, std::ios::binary | std::ios::trunc);
      out << StatusPageHtml(*status, {});
      out.close();
      if (!out) {
        std::cerr << "error: --html: cannot write '" << o->html << "'\n";
        return static_cast<int>(kExitFailure);
      }
      std::cerr << "wrote " << o->html << " (" << (*status)["instances"].size() << " instance(s))\n";
      return static_cast<int>(kExitOk);
    }
    if (o->json) {
      auto status = StatusJson(*loaded->store, loaded->config(), {.all = o->all}, clock.NowMs());
      if (!status.ok()) {
        std::cerr << "error: " << status.status().ToString() << "\n";
        return static_cast<int>(kExitFailure);
      }
      std::cout << Dump(*status, 2) << std::endl;
      return static_cast<int>(kExitOk);
    }
    auto report = BuildStatusReport(*loaded->store, loaded->config(), {.all_instances = o->all});
    if (!report.ok()) {
      std::cerr << "error: " << report.status().ToString() << "\n";
      return static_cast<int>(kExitFailure);
    }
    PrintStatusTable(*report, clock.NowMs());
    return static_cast<int>(kExitOk);
  };
}

}  // namespace eb::cli
