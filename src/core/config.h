// Barrier configuration: the original format (barrier name -> list of key
// prefixes) and the extended one ({"barriers": {...}, "state": {...}}).
// Parsing never stops at the first problem: every error names the barrier,
// the field and the reason.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "core/ignore_rules.h"
#include "core/pattern.h"

namespace eb {

enum class BarrierMode { kCyclic, kOnce };
const char* ModeName(BarrierMode mode);

// One action from on_complete / on_timeout / on_late. `fields` holds the action's string
// fields (e.g. "key" for manifest, "url" for webhook); `command` is exec's argv.
struct ActionSpec {
  std::string type;
  std::map<std::string, std::string> fields;
  std::vector<std::string> command;
};

struct BarrierSpec {
  std::string name;
  std::vector<Pattern> members;     // named members; empty for a count latch
  std::vector<std::string> member_tags;  // MemberTag of each member, same order
  std::optional<Pattern> prefix;    // count latch: keys under this prefix
  int count = 0;                    // count latch: distinct keys needed
  BarrierMode mode = BarrierMode::kCyclic;
  std::optional<TimeMs> timeout_ms;
  std::vector<ActionSpec> on_complete;
  std::vector<ActionSpec> on_timeout;
  // Run for an arrival after the instance tripped for good (docs/OPERATORS.md,
  // "Late arrivals"): the record has status "late" and the late object.
  std::vector<ActionSpec> on_late;
  std::string suffix;                // only keys ending with this
  std::vector<std::string> events;  // event-name globs, default {"ObjectCreated:*"}
  IgnoreRules ignore;                // effective rules: defaults unless configured (ignore_rules.h)
  std::string ignore_origin;         // where `ignore` came from, for validate ("defaults", ...)
  int64_t min_size = 0;              // smaller objects are not arrivals (bytes)
  std::optional<TimeMs> stable_for;  // watch: size and mtime unchanged this long before a file counts
  std::vector<std::string> variables;  // bound by every member (sorted)

  bool is_count() const { return prefix.has_value(); }
  // Number of distinct members (or keys) a generation needs.
  size_t needed() const { return is_count() ? static_cast<size_t>(count) : members.size(); }
};

// A cyclic barrier without variables has a single instance ("_"), open for
// good: the sweeper keeps its open-index entry (creating it when missing), so
// its arrivals neither read nor write it (docs/PROTOCOL.md, arrival step 2).
bool SweeperKeepsIndexed(const BarrierSpec& spec);

// Calls `fn(where, action)` for each action of `spec`, on_complete's first, then
// on_timeout's, then on_late's; `where` names it as the configuration does:
// "on_timeout[1]".
void ForEachAction(
    const BarrierSpec& spec,
    const std::function<void(const std::string& where, const ActionSpec& action)>& fn);

struct StateSpec {
  std::string url;                     // "file:///path", "s3://bucket/prefix" or empty
  std::string prefix = ".eventbarrier/";  // state keys live under this prefix
  TimeMs lease_ms = 5 * 60 * 1000;     // a trip without .done older than this is re-driven
  // How long a consumed arrival's tombstone recognises a redelivered copy, and
  // the compaction age. It must cover the deployment's longest redelivery: the
  // template's failure queue keeps an event 14 days after up to 6 hours of
  // Lambda retries, so 15 days (docs/PROTOCOL.md, "Retention"; the deploy_retention
  // test reads both).
  TimeMs retention_ms = 15LL * 24 * 3600 * 1000;
};

struct Config {
  std::vector<BarrierSpec> barriers;  // in name order
  StateSpec state;
  // Top-level "ignore" (replaces the defaults) and "ignore_extra" (appended);
  // each barrier's effective list is in BarrierSpec::ignore.
  std::optional<std::vector<std::string>> ignore;
  std::vector<std::string> ignore_extra;
  bool extended = false;  // which format it was written in

  const BarrierSpec* Find(const std::string& name) const;
};

struct ConfigError {
  std::string barrier;  // empty for top-level problems
  std::string field;
  std::string reason;
  std::string ToString() const;
};

struct ConfigParse {
  Config config;
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
  // All errors, one per line.
  std::string ErrorText() const;
};

// Parses JSON text. Never throws.
ConfigParse ParseConfig(const std::string& json_text);

// "90s", "15m", "6h", "2d", "500ms", "1h30m" -> milliseconds; nullopt if malformed or zero.
std::optional<TimeMs> ParseDuration(const std::string& text);
std::string FormatDuration(TimeMs ms);

// True if `event_name` ("ObjectCreated:Put", an optional "s3:" prefix ignored)
// matches glob `pattern` ("ObjectCreated:*", "ObjectRemoved:*", "*"). The
// default "ObjectCreated:*" means the events that write an object's data:
// kDataEventNames, and not MinIO's ObjectCreated:PutTagging, :DeleteTagging,
// :PutRetention or :PutLegalHold (metadata changes its own "*" includes);
// those count only when named exactly.
bool EventNameMatches(const std::string& pattern, const std::string& event_name);
inline constexpr const char* kDataEventNames[] = {"ObjectCreated:Put", "ObjectCreated:Post", "ObjectCreated:Copy",
                                                  "ObjectCreated:CompleteMultipartUpload"};
// "a, b, c".
std::string JoinEventNames(const std::vector<std::string>& names);

// Barrier names: 1-64 of [A-Za-z0-9._-], not starting with '.' or '_'.
bool IsValidBarrierName(const std::string& name);

}  // namespace eb
