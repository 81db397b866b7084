#include "core/config.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "core/keys.h"

namespace eb {

using json = nlohmann::json;

const char* ModeName(BarrierMode mode) { return mode == BarrierMode::kOnce ? "once" : "cyclic"; }

void ForEachAction(
    const BarrierSpec& spec,
    const std::function<void(const std::string& where, const ActionSpec& action)>& fn) {
  for (const auto* list : {&spec.on_complete, &spec.on_timeout, &spec.on_late}) {
    const char* name = list == &spec.on_complete  ? "on_complete"
                       : list == &spec.on_timeout ? "on_timeout"
                                                  : "on_late";
    for (size_t i = 0; i < list->size(); ++i)
      fn(name + ("[" + std::to_string(i) + "]"), (*list)[i]);
  }
}

bool SweeperKeepsIndexed(const BarrierSpec& spec) {
  return spec.mode == BarrierMode::kCyclic && spec.variables.empty();
}

const BarrierSpec* Config::Find(const std::string& name) const {
  for (const auto& b : barriers) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

std::string ConfigError::ToString() const {
  std::string out;
  if (!barrier.empty()) out += "barrier '" + barrier + "': ";
  if (!field.empty()) out += "field '" + field + "': ";
  return out + reason;
}

std::string ConfigParse::ErrorText() const {
  std::string out;
  for (const auto& e : errors) out += e.ToString() + "\n";
  return out;
}

bool IsValidBarrierName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '_') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::optional<TimeMs> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  TimeMs total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000'000) return std::nullopt;
      ++i;
    }
    std::string unit;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) unit += text[i++];
    int64_t mult;
    if (unit == "ms") mult = 1;
    else if (unit == "s") mult = 1000;
    else if (unit == "m") mult = 60'000;
    else if (unit == "h") mult = 3'600'000;
    else if (unit == "d") mult = 86'400'000;
    else return std::nullopt;
    total += n * mult;
  }
  if (total <= 0 || total > 366LL * 86'400'000) return std::nullopt;
  return total;
}

std::string FormatDuration(TimeMs ms) {
  struct Unit { const char* name; TimeMs size; };
  static const Unit kUnits[] = {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
  if (ms <= 0) return "0s";
  std::string out;
  for (const auto& u : kUnits) {
    if (ms >= u.size) {
      out += std::to_string(ms / u.size) + u.name;
      ms %= u.size;
    }
  }
  return out;
}

bool EventNameMatches(const std::string& pattern, const std::string& event_name) {
  auto strip = [](const std::string& s) { return s.rfind("s3:", 0) == 0 ? s.substr(3) : s; };
  std::string p = strip(pattern), e = strip(event_name);
  if (p == "ObjectCreated:*") {
    for (const char* name : kDataEventNames) {
      if (e == name) return true;
    }
    return false;
  }
  if (!p.empty() && p.back() == '*') return e.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0;
  return p == e;
}

std::string JoinEventNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

namespace {

// Collects errors for one barrier while it is being parsed.
class Errors {
 public:
  Errors(std::vector<ConfigError>* sink, std::string barrier) : sink_(sink), barrier_(std::move(barrier)) {}
  void Add(const std::string& field, const std::string& reason) { sink_->push_back({barrier_, field, reason}); }
  size_t count() const { return sink_->size(); }

 private:
  std::vector<ConfigError>* sink_;
  std::string barrier_;
};

const char* TypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "a list";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

const std::set<std::string> kActionTypes = {"manifest", "exec", "webhook", "eventbridge", "sns",
                                            "sqs", "lambda", "stepfunctions"};
// Per action type: required string fields and optional string fields.
struct ActionShape { std::vector<std::string> required, optional; bool has_command = false; };
const std::map<std::string, ActionShape> kActionShapes = {
    {"manifest", {{"key"}, {"bucket"}}},
    {"exec", {{}, {"cwd", "timeout"}, true}},
    {"webhook", {{"url"}, {"secret_env", "signature_header", "timeout"}}},
    {"eventbridge", {{}, {"event_bus", "source", "region"}}},
    {"sns", {{"topic_arn"}, {"region"}}},
    {"sqs", {{"queue_url"}, {"region"}}},
    {"lambda", {{"function"}, {"region"}}},
    {"stepfunctions", {{"state_machine_arn"}, {"region"}}},
};

// Levenshtein distance (small strings: action types).
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'exec'?)" for a type within two edits (case aside) of a known one.
std::string SuggestActionType(const std::string& type) {
  std::string lower;
  for (char c : type) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string best;
  size_t best_distance = 3;
  for (const auto& known : kActionTypes) {
    size_t d = EditDistance(lower, known);
    if (d < best_distance && d < known.size()) {
      best = known;
      best_distance = d;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::vector<ActionSpec> ParseActions(const json& j, const std::string& field, Errors& errors) {
  std::vector<ActionSpec> actions;
  if (!j.is_array()) {
    errors.Add(field, std::string("must be a list of actions, got ") + TypeName(j));
    return actions;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    std::string where = field + "[" + std::to_string(i) + "]";
    const json& a = j[i];
    if (!a.is_object()) {
      errors.Add(where, std::string("an action must be an object with a \"type\", got ") + TypeName(a));
      continue;
    }
    auto type_it = a.find("type");
    if (type_it == a.end() || !type_it->is_string()) {
      errors.Add(where + ".type", "missing or not a string (one of manifest, exec, webhook, eventbridge, sns, sqs, lambda, stepfunctions)");
      continue;
    }
    ActionSpec spec;
    spec.type = type_it->get<std::string>();
    auto shape_it = kActionShapes.find(spec.type);
    if (shape_it == kActionShapes.end()) {
      errors.Add(where + ".type", "unknown action type '" + spec.type + "'" + SuggestActionType(spec.type) +
                                      " (one of manifest, exec, webhook, eventbridge, sns, sqs, lambda, stepfunctions)");
      continue;
    }
    const ActionShape& shape = shape_it->second;
    for (const auto& [k, v] : a.items()) {
      if (k == "type") continue;
      bool known = std::find(shape.required.begin(), shape.required.end(), k) != shape.required.end() ||
                   std::find(shape.optional.begin(), shape.optional.end(), k) != shape.optional.end();
      if (shape.has_command && k == "command") {
        if (!v.is_array() || v.empty()) {
          errors.Add(where + ".command", "must be a non-empty list of strings (argv; never run through a shell)");
          continue;
        }
        for (const auto& arg : v) {
          if (!arg.is_string()) {
            errors.Add(where + ".command", std::string("every argument must be a string, got ") + TypeName(arg));
            break;
          }
          spec.command.push_back(arg.get<std::string>());
        }
        continue;
      }
      if (!known) {
        errors.Add(where + "." + k, "unknown field for a " + spec.type + " action");
        continue;
      }
      if (!v.is_string()) {
        errors.Add(where + "." + k, std::string("must be a string, got ") + TypeName(v));
        continue;
      }
      spec.fields[k] = v.get<std::string>();
    }
    for (const auto& r : shape.required) {
      if (!spec.fields.count(r)) errors.Add(where + "." + r, "required for a " + spec.type + " action");
    }
    if (shape.has_command && spec.command.empty() && !a.contains("command")) {
      errors.Add(where + ".command", "required for an exec action (a list: program and arguments)");
    }
    for (const char* dur : {"timeout"}) {
      if (spec.fields.count(dur) && !ParseDuration(spec.fields[dur])) {
        errors.Add(where + "." + dur, "bad duration '" + spec.fields[dur] + "' (use e.g. 30s, 5m)");
      }
    }
    if (spec.type == "manifest" && spec.fields.count("key") && spec.fields["key"].empty()) {
      errors.Add(where + ".key", "must not be empty");
    }
    actions.push_back(std::move(spec));
  }
  return actions;
}

// The {name}s in an action's templates must be the barrier's variables or built-ins.
void CheckTemplate(const std::string& text, const std::string& field, const BarrierSpec& spec, Errors& errors) {
  static const std::set<std::string> kBuiltins = {"barrier", "instance", "generation", "status", "idempotency_key"};
  size_t pos = 0;
  while ((pos = text.find('{', pos)) != std::string::npos) {
    size_t close = text.find('}', pos);
    if (close == std::string::npos) {
      errors.Add(field, "unclosed '{' in '" + text + "'");
      return;
    }
    std::string name = text.substr(pos + 1, close - pos - 1);
    bool bound = std::find(spec.variables.begin(), spec.variables.end(), name) != spec.variables.end();
    if (!bound && !kBuiltins.count(name)) {
      std::string known;
      for (const auto& v : spec.variables) known += (known.empty() ? "" : ", ") + v;
      errors.Add(field, "unknown variable {" + name + "} in '" + text + "' (bound: " + (known.empty() ? "none" : known) +
                            "; built-in: barrier, instance, generation, status, idempotency_key)");
    }
    pos = close + 1;
  }
}

void CheckActionTemplates(const BarrierSpec& spec, Errors& errors) {
  ForEachAction(spec, [&](const std::string& where, const ActionSpec& a) {
    if (auto it = a.fields.find("key"); it != a.fields.end())
      CheckTemplate(it->second, where + ".key", spec, errors);
    for (const auto& arg : a.command) CheckTemplate(arg, where + ".command", spec, errors);
  });
}

std::optional<Pattern> ParsePatternField(const json& j, const std::string& field, Errors& errors) {
  if (!j.is_string()) {
    errors.Add(field, std::string("must be a string key pattern, got ") + TypeName(j));
    return std::nullopt;
  }
  // Written the way users write prefixes ("out/{run}/"): one trailing '/'
  // says the same as none, since a pattern matches whole path segments.
  std::string text = j.get<std::string>();
  if (text.size() > 1 && text.back() == '/' && text[text.size() - 2] != '/') text.pop_back();
  auto p = Pattern::Parse(text);
  if (!p) {
    errors.Add(field, p.status().message());
    return std::nullopt;
  }
  return *p;
}

// Checks members: duplicates, overlaps, variables. Fills spec.variables.
void CheckMembers(BarrierSpec& spec, Errors& errors) {
  for (size_t i = 0; i < spec.members.size(); ++i) {
    for (size_t k = i + 1; k < spec.members.size(); ++k) {
      const Pattern& a = spec.members[i];
      const Pattern& b = spec.members[k];
      if (a.text() == b.text()) {
        errors.Add("members", "duplicate member '" + a.text() + "'");
      } else if (a.Overlaps(b)) {
        errors.Add("members", "members '" + a.text() + "' and '" + b.text() +
                                  "' overlap: one key could satisfy both (an object must match at most one member)");
      }
    }
  }
  if (spec.members.empty()) return;
  auto sorted_vars = [](const Pattern& p) {
    auto v = p.Variables();
    std::sort(v.begin(), v.end());
    return v;
  };
  spec.variables = sorted_vars(spec.members[0]);
  for (size_t i = 1; i < spec.members.size(); ++i) {
    if (sorted_vars(spec.members[i]) != spec.variables) {
      errors.Add("members", "member '" + spec.members[i].text() + "' binds different variables than '" +
                                spec.members[0].text() + "' (all members of a barrier must bind the same {vars})");
    }
  }
}

void ParseMemberList(const json& list, BarrierSpec& spec, Errors& errors) {
  if (!list.is_array()) {
    errors.Add("members", std::string("must be a list of key patterns, got ") + TypeName(list));
    return;
  }
  if (list.empty()) {
    errors.Add("members", "empty member list: a barrier needs at least one member");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (auto p = ParsePatternField(list[i], "members[" + std::to_string(i) + "]", errors)) {
      spec.members.push_back(std::move(*p));
    }
  }
}

void ParseStringList(const json& j, const std::string& field, std::vector<std::string>* out, Errors& errors) {
  if (!j.is_array() || j.empty()) {
    errors.Add(field, "must be a non-empty list of strings");
    return;
  }
  for (const auto& v : j) {
    if (!v.is_string()) {
      errors.Add(field, std::string("every entry must be a string, got ") + TypeName(v));
      return;
    }
    out->push_back(v.get<std::string>());
  }
}

// A list of ignore globs ("ignore", "ignore_extra"); an empty list is allowed.
std::optional<std::vector<std::string>> ParseGlobList(const json& j, const std::string& field, Errors& errors) {
  if (!j.is_array()) {
    errors.Add(field, std::string("must be a list of globs such as [\"_*\", \"*.tmp\"], got ") + TypeName(j));
    return std::nullopt;
  }
  std::vector<std::string> globs;
  size_t before = errors.count();
  for (size_t i = 0; i < j.size(); ++i) {
    std::string where = field + "[" + std::to_string(i) + "]";
    if (!j[i].is_string()) {
      errors.Add(where, std::string("must be a string glob, got ") + TypeName(j[i]));
      continue;
    }
    std::string glob = j[i].get<std::string>();
    if (std::string problem = IgnoreGlobProblem(glob); !problem.empty()) {
      errors.Add(where, problem);
      continue;
    }
    globs.push_back(std::move(glob));
  }
  if (errors.count() != before) return std::nullopt;
  return globs;
}

// The effective ignore list: `inherited` (the defaults, or the top level's),
// replaced by "ignore" and extended by "ignore_extra" when `j` has them.
// `where` names the level in `origin` ("top-level", "barrier").
struct IgnoreFields {
  std::vector<std::string> globs;
  std::string origin;
  std::optional<std::vector<std::string>> ignore;  // as written
  std::vector<std::string> extra;                  // as written
};
IgnoreFields ParseIgnoreFields(const json& j, const std::string& where, std::vector<std::string> inherited,
                               std::string inherited_origin, Errors& errors) {
  IgnoreFields f{std::move(inherited), std::move(inherited_origin), std::nullopt, {}};
  if (j.contains("ignore")) {
    f.ignore = ParseGlobList(j.at("ignore"), "ignore", errors);
    if (f.ignore) f.globs = *f.ignore;
    f.origin = where + " ignore";
  }
  if (j.contains("ignore_extra")) {
    if (auto extra = ParseGlobList(j.at("ignore_extra"), "ignore_extra", errors)) f.extra = std::move(*extra);
    f.globs.insert(f.globs.end(), f.extra.begin(), f.extra.end());
    f.origin += " + " + where + " ignore_extra";
  }
  return f;
}

// The inherited ignore list and where it came from.
struct IgnoreDefaults {
  std::vector<std::string> globs = DefaultIgnoreGlobs();
  std::string origin = "defaults";
};

BarrierSpec ParseExtendedBarrier(const std::string& name, const json& j, const IgnoreDefaults& inherited,
                                 Errors& errors) {
  BarrierSpec spec;
  spec.name = name;
  spec.events = {"ObjectCreated:*"};
  spec.ignore = IgnoreRules(inherited.globs);
  spec.ignore_origin = inherited.origin;
  if (!j.is_object()) {
    errors.Add("", std::string("must be an object with \"members\" (or \"count\" and \"prefix\"), got ") + TypeName(j));
    return spec;
  }
  static const std::set<std::string> kFields = {
      "members", "count",  "prefix", "mode",   "timeout",      "on_complete", "on_timeout",
      "on_late", "suffix", "events", "ignore", "ignore_extra", "min_size",    "stable_for"};
  for (const auto& [k, v] : j.items()) {
    if (!kFields.count(k)) {
      errors.Add(k,
                 "unknown field (known: members, count, prefix, mode, timeout, on_complete, "
                 "on_timeout, on_late, suffix, events, ignore, ignore_extra, min_size, stable_for)");
    }
  }
  IgnoreFields rules = ParseIgnoreFields(j, "barrier", inherited.globs, inherited.origin, errors);
  spec.ignore = IgnoreRules(std::move(rules.globs));
  spec.ignore_origin = std::move(rules.origin);
  if (j.contains("min_size")) {
    const json& m = j.at("min_size");
    if (!m.is_number_integer() || m.get<int64_t>() < 0 || m.get<int64_t>() > (int64_t{5} << 40)) {
      errors.Add("min_size", "must be a whole number of bytes from 0 to 5497558138880 (5 TiB), got " + m.dump());
    } else {
      spec.min_size = m.get<int64_t>();
    }
  }
  if (j.contains("stable_for")) {
    const json& t = j.at("stable_for");
    auto d = t.is_string() ? ParseDuration(t.get<std::string>()) : std::nullopt;
    if (!d) errors.Add("stable_for", "bad duration " + t.dump() + " (use e.g. \"30s\", \"2m\")");
    spec.stable_for = d;
  }
  bool has_members = j.contains("members"), has_count = j.contains("count"), has_prefix = j.contains("prefix");
  if (has_members && (has_count || has_prefix)) {
    errors.Add("members", "use either \"members\" or \"count\" + \"prefix\", not both");
  } else if (!has_members && !(has_count && has_prefix)) {
    errors.Add(has_count ? "prefix" : (has_prefix ? "count" : "members"),
               "required: a barrier needs \"members\", or \"count\" together with \"prefix\"");
  }
  if (has_members) ParseMemberList(j.at("members"), spec, errors);
  if (has_count) {
    const json& c = j.at("count");
    if (!c.is_number_integer() || c.get<int64_t>() < 1 || c.get<int64_t>() > 100000) {
      errors.Add("count", "must be a whole number from 1 to 100000");
    } else {
      spec.count = c.get<int>();
    }
  }
  if (has_prefix) {
    if (auto p = ParsePatternField(j.at("prefix"), "prefix", errors)) {
      spec.prefix = std::move(*p);
      spec.variables = spec.prefix->Variables();
      std::sort(spec.variables.begin(), spec.variables.end());
    }
  }
  CheckMembers(spec, errors);
  spec.mode = spec.variables.empty() ? BarrierMode::kCyclic : BarrierMode::kOnce;
  if (j.contains("mode")) {
    const json& m = j.at("mode");
    if (m == "cyclic") spec.mode = BarrierMode::kCyclic;
    else if (m == "once") spec.mode = BarrierMode::kOnce;
    else errors.Add("mode", "must be \"cyclic\" or \"once\", got " + m.dump());
  }
  if (j.contains("timeout")) {
    const json& t = j.at("timeout");
    auto d = t.is_string() ? ParseDuration(t.get<std::string>()) : std::nullopt;
    if (!d) errors.Add("timeout", "bad duration " + t.dump() + " (use e.g. \"90s\", \"15m\", \"6h\", \"2d\")");
    spec.timeout_ms = d;
  }
  if (j.contains("on_complete")) spec.on_complete = ParseActions(j.at("on_complete"), "on_complete", errors);
  if (j.contains("on_timeout")) {
    spec.on_timeout = ParseActions(j.at("on_timeout"), "on_timeout", errors);
    if (!j.contains("timeout")) errors.Add("on_timeout", "has no effect without a \"timeout\"");
  }
  if (j.contains("on_late")) {
    spec.on_late = ParseActions(j.at("on_late"), "on_late", errors);
    if (spec.mode != BarrierMode::kOnce) {
      errors.Add("on_late",
                 "has no effect in a cyclic barrier: only a once-mode instance trips for good "
                 "(set \"mode\": \"once\")");
    }
  }
  CheckActionTemplates(spec, errors);
  if (j.contains("suffix")) {
    const json& s = j.at("suffix");
    if (!s.is_string() || s.get<std::string>().empty()) errors.Add("suffix", "must be a non-empty string such as \".csv\"");
    else spec.suffix = s.get<std::string>();
  }
  if (j.contains("events")) {
    spec.events.clear();
    ParseStringList(j.at("events"), "events", &spec.events, errors);
    for (const auto& e : spec.events) {
      std::string stripped = e.rfind("s3:", 0) == 0 ? e.substr(3) : e;
      bool known = stripped == "*";
      for (const char* family : {"Object", "Lifecycle", "Replication", "IntelligentTiering"}) {
        known = known || stripped.rfind(family, 0) == 0;
      }
      if (!known) {
        errors.Add("events", "unknown event name '" + e + "' (e.g. ObjectCreated:*, ObjectCreated:Put, ObjectRemoved:*)");
      }
    }
  }
  return spec;
}

void ParseState(const json& j, StateSpec& state, std::vector<ConfigError>& errors) {
  Errors e(&errors, "");
  if (!j.is_object()) {
    e.Add("state", std::string("must be an object, got ") + TypeName(j));
    return;
  }
  for (const auto& [k, v] : j.items()) {
    if (k != "url" && k != "prefix" && k != "lease" && k != "retention") {
      e.Add("state." + k, "unknown field (known: url, prefix, lease, retention)");
      continue;
    }
    if (!v.is_string()) {
      e.Add("state." + k, std::string("must be a string, got ") + TypeName(v));
      continue;
    }
    std::string s = v.get<std::string>();
    if (k == "url") {
      if (s.rfind("file://", 0) != 0 && s.rfind("s3://", 0) != 0 && (s.empty() || s[0] != '/')) {
        e.Add("state.url", "must be file:///path, an absolute path or s3://bucket/prefix, got '" + s + "'");
      }
      state.url = s;
    } else if (k == "prefix") {
      if (s.empty() || s[0] == '/' || s.find("..") != std::string::npos) {
        e.Add("state.prefix", "must be a relative key prefix such as \".eventbarrier/\"");
      } else {
        state.prefix = s.back() == '/' ? s : s + "/";
      }
    } else {
      auto d = ParseDuration(s);
      if (!d) e.Add("state." + k, "bad duration '" + s + "' (use e.g. \"5m\", \"14d\")");
      else (k == "lease" ? state.lease_ms : state.retention_ms) = *d;
    }
  }
}

}  // namespace

ConfigParse ParseConfig(const std::string& json_text) {
  ConfigParse out;
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {
    out.errors.push_back({"", "", std::string("not valid JSON: ") + e.what()});
    return out;
  }
  if (!root.is_object()) {
    out.errors.push_back({"", "", std::string("the configuration must be a JSON object, got ") + TypeName(root)});
    return out;
  }
  bool extended = root.contains("barriers") && root.at("barriers").is_object();
  out.config.extended = extended;
  const json* barriers = &root;
  IgnoreDefaults inherited;  // the original format has no room for rules: the defaults
  if (extended) {
    for (const auto& [k, v] : root.items()) {
      if (k != "barriers" && k != "state" && k != "ignore" && k != "ignore_extra") {
        out.errors.push_back({"", k, "unknown top-level field (known: barriers, state, ignore, ignore_extra)"});
      }
    }
    if (root.contains("state")) ParseState(root.at("state"), out.config.state, out.errors);
    Errors top(&out.errors, "");
    IgnoreFields rules = ParseIgnoreFields(root, "top-level", inherited.globs, inherited.origin, top);
    out.config.ignore = std::move(rules.ignore);
    out.config.ignore_extra = std::move(rules.extra);
    inherited.globs = std::move(rules.globs);
    inherited.origin = std::move(rules.origin);
    barriers = &root.at("barriers");
  }
  if (barriers->empty()) out.errors.push_back({"", extended ? "barriers" : "", "no barriers defined"});
  for (const auto& [name, value] : barriers->items()) {
    Errors errors(&out.errors, name);
    if (!IsValidBarrierName(name)) {
      errors.Add("", "invalid barrier name: use 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '_'");
    }
    BarrierSpec spec;
    if (extended) {
      spec = ParseExtendedBarrier(name, value, inherited, errors);
    } else {
      spec.name = name;
      spec.events = {"ObjectCreated:*"};
      spec.ignore = IgnoreRules(inherited.globs);
      spec.ignore_origin = inherited.origin;
      if (value.is_array()) {
        ParseMemberList(value, spec, errors);
      } else {
        errors.Add("members", std::string("must be a list of key prefixes, got ") + TypeName(value));
      }
      CheckMembers(spec, errors);
      spec.mode = spec.variables.empty() ? BarrierMode::kCyclic : BarrierMode::kOnce;
    }
    for (const auto& m : spec.members) spec.member_tags.push_back(MemberTag(m.text()));
    out.config.barriers.push_back(std::move(spec));
  }
  std::sort(out.config.barriers.begin(), out.config.barriers.end(),
            [](const BarrierSpec& a, const BarrierSpec& b) { return a.name < b.name; });
  return out;
}

}  // namespace eb
