// The status page (issue 16): one self-contained HTML document, no external
// fetch, that shows the status JSON (cli/operator_ops.h StatusJson): every
// barrier instance with a progress bar, its missing members, a countdown to
// its deadline, late arrivals, pending re-drives and the last trips' latency
// as a small chart, with filters by barrier and state. Written by
// `status --html FILE` (works from file://) and served by `serve` at `/`,
// where it refreshes itself from `/api/status`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/clock.h"
#include "core/config.h"
#include "core/store.h"
#include "http/server.h"
#include "sources/token_auth.h"

namespace eb::cli {

struct StatusPageOptions {
  // Under serve: fetch /api/status every `refresh_seconds` and redraw.
  bool live = false;
  int refresh_seconds = 5;
};

// `status` is StatusJson's document (with recent_trips for the chart).
std::string StatusPageHtml(const nlohmann::ordered_json& status, const StatusPageOptions& options);

// How many recent trips per instance the page charts.
inline constexpr size_t kStatusPageTrips = 12;

// `serve`'s read-only pages: GET / (the page) and GET /api/status (its JSON),
// behind the same token as notifications (a browser is asked for Basic
// credentials: any user name, the token as the password).
class StatusPages {
 public:
  StatusPages(const std::string& token, ObjectStore& store, const Config& config, Clock& clock);
  // True for the paths it answers.
  static bool Serves(const http::ServerRequest& request);
  http::ServerResponse Handle(const http::ServerRequest& request);

 private:
  TokenAuth auth_;
  ObjectStore& store_;
  const Config& config_;
  Clock& clock_;
};

}  // namespace eb::cli
