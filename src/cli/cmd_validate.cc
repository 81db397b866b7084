#include <iostream>
#include <map>
#include <set>

#include "actions/aws_actions.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/config_preview.h"
#include "core/engine_options.h"

namespace eb::cli {

namespace {

// The rules that decide what counts for `b`, one line each (issue 19): which
// keys are not data, how small is too small, which events are arrivals.
void PrintFilters(const BarrierSpec& b, std::set<std::string>* defaults_used) {
  std::cout << "    ignore (" << b.ignore_origin << "):";
  if (b.ignore.empty()) std::cout << " none";
  for (const auto& g : b.ignore.globs()) {
    std::cout << " " << g;
    if (!DescribeIgnoreGlob(g).empty()) defaults_used->insert(g);
  }
  std::cout << "\n    events: " << JoinEventNames(b.events);
  if (b.events == std::vector<std::string>{"ObjectCreated:*"}) {
    std::string names;
    for (const char* n : kDataEventNames) names += (names.empty() ? "" : ", ") + std::string(n);
    std::cout << " (" << names << ")";
  }
  std::cout << "\n";
  if (b.min_size > 0) std::cout << "    min_size: " << b.min_size << " bytes\n";
  if (b.stable_for) std::cout << "    stable_for: " << FormatDuration(*b.stable_for) << " (watch)\n";
}

// `--against`: what the configuration would do to the instances open in a state.
int PrintPreview(const Config& config, const std::string& state) {
  auto store = OpenStateStore(state, config);
  if (!store.ok()) {
    std::cerr << "validate --against: " << store.status().ToString() << "\n";
    return kExitFailure;
  }
  SystemClock clock;
  auto preview = PreviewConfiguration(**store, config, clock.NowMs(), EngineOptions{}.shard_size);
  if (!preview.ok()) {
    std::cerr << "validate --against " << state << ": " << preview.status().ToString() << "\n";
    return kExitFailure;
  }
  size_t affected = 0;
  for (const auto& p : preview->instances) affected += p.affected ? 1 : 0;
  std::cout << "against " << state << " (" << preview->state_prefix << "): " << preview->open
            << " open instance(s), " << affected << " affected by this configuration\n";
  for (const auto& p : preview->instances) {
    if (!p.affected) continue;
    std::cout << "  " << p.barrier << "/" << p.instance << ": " << PreviewOutcomeName(p.outcome) << " (generation "
              << p.generation << ", " << p.arrivals << " arrival(s))\n";
    for (const auto& note : p.notes) std::cout << "    " << note << "\n";
  }
  std::map<std::string, size_t> rest;
  for (const auto& p : preview->instances) {
    if (!p.affected) ++rest[PreviewOutcomeName(p.outcome)];
  }
  if (!rest.empty()) {
    std::cout << "  unaffected:";
    for (const auto& [outcome, n] : rest) std::cout << " " << n << " " << outcome;
    std::cout << "\n";
  }
  return kExitOk;
}

// Where each AWS action's message goes when the manifest is over its
// target's limit (issue 14), and a warning when that place does not exist.
void PrintPayloadLimits(const BarrierSpec& b, const StateSpec& state) {
  ForEachAction(b, [&](const std::string& where, const ActionSpec& a) {
    size_t limit = AwsPayloadLimit(a.type);
    if (limit == 0) return;
    size_t fits = ObjectsWithin(limit);
    std::cout << "    " << where << " (" << a.type << "): inline up to " << limit / 1024
              << " KiB (about " << fits << " objects); larger manifests go as a summary, ";
    bool s3 = state.url.rfind("s3://", 0) == 0;
    std::string base = state.url.substr(0, state.url.find('?'));  // without ?endpoint=...
    if (s3 || state.url.empty()) {
      std::cout << "the full manifest written first to "
                << (s3 ? base + (base.back() == '/' ? "" : "/") : "<state bucket>/") << state.prefix
                << "_manifests/" << b.name << "/<instance>/<generation>.json\n";
    } else {
      std::cout << "which needs an s3:// state\n";
    }
    // Every member once, or `count` keys: the least a trip carries.
    if (!s3 && !state.url.empty() && b.needed() > fits) {
      std::cout << "    warning: " << where << ": " << b.needed()
                << " objects exceed the limit and the state is not on S3: this action will fail\n";
    }
  });
}

}  // namespace

Runner SetupValidate(CLI::App& sub) {
  auto path = std::make_shared<std::string>();
  auto against = std::make_shared<std::string>();
  sub.add_option("CONFIG", *path, "Configuration file (JSON), or - for stdin")->required();
  sub.add_option("--against", *against,
                 "State location (as for status: file:///path, a path, s3://bucket/prefix): also preview what "
                 "this configuration would do to the instances open there. Only reads");
  sub.footer(
      "Prints every problem with the barrier, the field and the reason; exits 1 if there is any.\n"
      "On success prints each barrier and the rules that decide what counts: the ignore globs\n"
      "(keys that are not data, unless a member names them), events, min_size, stable_for,\n"
      "and for each AWS action its target's payload limit and where a larger manifest goes.\n"
      "\n"
      "With --against STATE, before deploying a changed configuration: for every open instance\n"
      "it changes, what happens (orphaned: its barrier is gone; unfit: its variables changed;\n"
      "trips / times-out: at the next arrival or sweep; finished: mode once) and notes on members\n"
      "added or removed, arrivals of removed members, unfinished trips (docs/OPERATORS.md,\n"
      "\"Changing the configuration of a live deployment\"). Example:\n"
      "  eventbarrier validate new.json --against s3://my-bucket/eventbarrier/");
  return [path, against] {
    auto parsed = LoadConfig(*path);
    if (!parsed) return static_cast<int>(kExitFailure);
    const Config& c = parsed->config;
    std::cout << *path << ": ok, " << c.barriers.size() << " barrier(s) ("
              << (c.extended ? "extended" : "original") << " format)\n";
    // The retention must cover the deployment's longest redelivery (docs/PROTOCOL.md).
    std::cout << "  state: prefix " << c.state.prefix << ", lease " << FormatDuration(c.state.lease_ms)
              << ", retention " << FormatDuration(c.state.retention_ms) << "\n";
    std::set<std::string> defaults_used;
    for (const auto& b : c.barriers) {
      std::cout << "  " << b.name << ": ";
      if (b.is_count()) std::cout << b.count << " keys under " << b.prefix->text();
      else std::cout << b.members.size() << " member(s)";
      std::cout << ", " << ModeName(b.mode);
      if (b.timeout_ms) std::cout << ", timeout " << FormatDuration(*b.timeout_ms);
      if (!b.variables.empty()) {
        std::cout << ", instance per";
        for (const auto& v : b.variables) std::cout << " {" << v << "}";
      }
      std::cout << "\n";
      PrintFilters(b, &defaults_used);
      PrintPayloadLimits(b, c.state);
    }
    if (!defaults_used.empty()) {
      std::cout << "ignore globs: without '/' tried on every path segment, with '/' on the whole key;\n"
                   "a member pattern that spells a segment out literally is never ignored by it\n";
      for (const auto& g : DefaultIgnoreGlobs()) {
        if (defaults_used.count(g)) std::cout << "  " << g << "  " << DescribeIgnoreGlob(g) << "\n";
      }
    }
    if (!against->empty()) return PrintPreview(c, *against);
    return static_cast<int>(kExitOk);
  };
}

}  // namespace eb::cli
