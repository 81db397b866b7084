// `eventbarrier doctor`: the checks of cli/doctor_checks.h against the store a
// barrier will use, one line per check for people or one JSON document.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "actions/aws_api_calls.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/doctor_checks.h"
#include "stores/folder_store.h"
#include "stores/s3_store.h"

namespace eb::cli {

namespace {

using ordered_json = nlohmann::ordered_json;

// "<iam action> (<type> action)" for every AWS action type the configuration uses.
std::vector<std::string> ActionPermissions(const Config& config) {
  std::set<std::string> types;
  for (const auto& b : config.barriers) {
    ForEachAction(b, [&](const std::string&, const ActionSpec& a) { types.insert(a.type); });
  }
  std::vector<std::string> out;
  for (const auto& type : types) {
    std::string caller = type + " action";
    for (const auto& call : kAwsApiCalls) {
      if (caller == call.caller) out.push_back(std::string(call.iam_action) + " (" + caller + ")");
    }
  }
  return out;
}

// The folders of `scratch` ("a/b/c/") under `root` that do not exist yet, deepest first.
std::vector<std::filesystem::path> MissingFolders(const std::string& root,
                                                  const std::string& scratch) {
  std::vector<std::filesystem::path> missing;
  std::error_code ec;
  for (std::filesystem::path p =
           std::filesystem::path(root) / scratch.substr(0, scratch.size() - 1);
       p != std::filesystem::path(root) && !std::filesystem::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
  }
  return missing;
}

// The folder store keeps directories once their files are gone: remove the
// empty ones under the scratch prefix, and those of `created` (deepest first).
void RemoveEmptyFolders(const std::filesystem::path& scratch,
                        const std::vector<std::filesystem::path>& created) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (auto it = fs::recursive_directory_iterator(scratch, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) dirs.push_back(it->path());
  }
  for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) fs::remove(*d, ec);  // kept unless empty
  for (const auto& d : created) fs::remove(d, ec);
}

ordered_json ToJson(const DoctorReport& report) {
  ordered_json checks = ordered_json::array();
  for (const auto& c : report.checks) {
    checks.push_back({{"name", c.name},
                      {"outcome", OutcomeName(c.outcome)},
                      {"evidence", c.evidence},
                      {"advice", c.advice},
                      {"promise", c.promise},
                      {"elapsed_ms", c.elapsed_ms}});
  }
  return {{"store", report.store},       {"scratch", report.scratch},       {"ok", report.ok()},
          {"verdict", report.Verdict()}, {"elapsed_ms", report.elapsed_ms}, {"checks", checks}};
}

void PrintText(const DoctorReport& report) {
  std::cout << "store:   " << report.store << "\nscratch: " << report.scratch << "\n\n";
  for (const auto& c : report.checks) {
    std::string outcome = OutcomeName(c.outcome);
    for (auto& ch : outcome) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string name = c.name;
    name.resize(std::max<size_t>(name.size(), 19), ' ');
    std::cout << outcome << "  " << name << c.evidence << " [" << c.elapsed_ms << " ms]\n";
    if (c.outcome == Outcome::kFail)
      std::cout << "      " << std::string(19, ' ') << "breaks: " << c.promise << "\n";
    if (!c.advice.empty() && c.outcome != Outcome::kPass)
      std::cout << "      " << std::string(19, ' ') << "to do:  " << c.advice << "\n";
  }
  std::cout << "\n"
            << (report.ok() ? "OK" : "FAIL") << " (" << report.elapsed_ms
            << " ms): " << report.Verdict() << "\n";
}

}  // namespace

Runner SetupDoctor(CLI::App& sub) {
  struct Opts {
    std::string state, config;
    bool json = false;
    int racers = 32, race_keys = 20, list_keys = 1050, race_body_bytes = 64 * 1024;
    double max_skew_s = 30;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--state,-s", o->state,
                 "The store to check, as for handle: DIR, file:///DIR or s3://BUCKET/PREFIX?...");
  sub.add_option("--config,-c", o->config,
                 "Configuration: its state.url when --state is not given, its state.prefix, and "
                 "its actions' IAM needs");
  sub.add_flag("--json", o->json, "One JSON document for scripts instead of the lines");
  sub.add_option("--racers", o->racers,
                 "Concurrent PUT-if-absent writers per key, 2-256 (default 32)");
  sub.add_option("--race-keys", o->race_keys, "Keys the racers race on, 1-1000 (default 20)");
  sub.add_option(
      "--race-body-bytes", o->race_body_bytes,
      "Bytes each racer writes, 0-16777216 (default 65536: a wider window for check-then-write)");
  sub.add_option("--list-keys", o->list_keys,
                 "Keys for the LIST and bulk delete checks, 1001-100000 (default 1050: two pages)");
  sub.add_option("--max-clock-skew", o->max_skew_s,
                 "Seconds of clock skew tolerated, 0-3600 (default 30)");
  sub.footer(
      R"(Exactly once rests on the store: of many concurrent PUT-if-absent writes to one key exactly
one must win, and LIST must show every key as soon as it is written. Some S3-compatible servers
and emulators do not keep these promises, and a barrier on them trips twice without any error.
Run doctor against every new store before trusting it (serve, watch and handle do not run it).

It writes under <state prefix>_doctor/<host>-<pid>-<ms>/ and deletes everything there at the
end, also after a failure. One line per check, PASS/WARN/FAIL/SKIP, with the evidence:
  put-if-absent      a second write to a key is refused with already-exists (S3: 412)
  racers             32 writers race on one key with 64 KiB bodies, 20 times: exactly one
                     winner each, and GET returns the winner's body. A store whose check and
                     write are not atomic fails this one, not the one above. A pass is
                     evidence, not proof: a race that did not happen cannot be seen.
  list-after-write   new keys are listed at once (10 one by one, 1,050 written in parallel)
  list-order         keys come back in byte order (space, '+', '/', '~', UTF-8, ...)
  list-pagination    1,050 keys over two pages, through continuation tokens
  list-start-after   start-after skips exactly the keys up to it
  list-after-delete  a deleted key is gone from LIST and GET; a second DELETE is fine
  bulk-delete        DeleteMany (S3 DeleteObjects) removes 1,000 keys in one call
  clock              server clock (Date header, LastModified) minus this machine's; fails
                     beyond --max-clock-skew (timeouts and leases are judged on it)
  permissions        each store call, with the IAM action to allow when it is denied
  actions            with --config: the IAM actions of the configured actions (listed only)
  cleanup            nothing is left under the scratch prefix

Exit status: 0 when no check failed; 1 when one did (the verdict names the promise that
would break) or the store cannot be opened; 2 for a bad command line. About 1,800 requests;
seconds on a local Ceph RGW. See docs/DOCTOR.md.

Examples:
  eventbarrier doctor --state 's3://my-bucket/eventbarrier/?endpoint=http://127.0.0.1:7480'
  eventbarrier doctor --config barriers.json --json)");
  return [o] {
    if (o->state.empty() && o->config.empty()) {
      std::cerr << "error: --state: give the store to check (or --config with state.url)\n";
      return static_cast<int>(kExitUsage);
    }
    for (auto [name, value, lo, hi] :
         {std::tuple{"--racers", double(o->racers), 2.0, 256.0},
          std::tuple{"--race-keys", double(o->race_keys), 1.0, 1000.0},
          std::tuple{"--race-body-bytes", double(o->race_body_bytes), 0.0, 16777216.0},
          std::tuple{"--list-keys", double(o->list_keys), 1001.0, 100000.0},
          std::tuple{"--max-clock-skew", o->max_skew_s, 0.0, 3600.0}}) {
      if (value < lo || value > hi) {
        std::cerr << "error: " << name << ": " << value << " is outside " << lo << "-" << hi
                  << "\n";
        return static_cast<int>(kExitUsage);
      }
    }
    std::unique_ptr<ConfigParse> parsed;
    Config defaults;
    if (!o->config.empty()) {
      parsed = LoadConfig(o->config);
      if (!parsed) return static_cast<int>(kExitFailure);
    }
    const Config& config = parsed ? parsed->config : defaults;
    auto store = OpenStateStore(o->state, config);
    if (!store.ok()) {
      std::cerr << "error: " << store.status().message() << "\n";
      return static_cast<int>(kExitFailure);
    }
    SystemClock clock;
    DoctorOptions options;
    options.scratch =
        config.state.prefix + "_doctor/" + WorkerId() + "-" + std::to_string(clock.NowMs()) + "/";
    options.racers = o->racers;
    options.race_keys = o->race_keys;
    options.race_body_bytes = static_cast<size_t>(o->race_body_bytes);
    options.list_keys = o->list_keys;
    options.max_clock_skew_ms = static_cast<TimeMs>(o->max_skew_s * 1000);
    if (parsed) options.action_permissions = ActionPermissions(config);
    if (auto* s3 = dynamic_cast<S3Store*>(store->get())) {
      options.server_times = [s3](const std::string& key) -> Result<ServerTimes> {
        auto head = s3->client().HeadObject(s3->bucket(), s3->prefix() + key);
        if (!head.ok()) return head.status();
        return ServerTimes{head->server_date, head->last_modified};
      };
    }
    auto* folder = dynamic_cast<FolderStore*>(store->get());
    auto created = folder ? MissingFolders(folder->root(), options.scratch)
                          : std::vector<std::filesystem::path>{};
    DoctorReport report = RunDoctor(**store, clock, options);
    if (folder && !created.empty()) RemoveEmptyFolders(created.front(), created);
    if (o->json) {
      std::cout << ToJson(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                << std::endl;
    } else {
      PrintText(report);
    }
    return static_cast<int>(report.ok() ? kExitOk : kExitFailure);
  };
}

}  // namespace eb::cli
