// libFuzzer target: ParseConfig on arbitrary bytes ("never throws", every
// problem reported as an error naming the barrier and field), then the
// matcher's rules (ignore globs, events, min_size) on keys built from the
// configuration itself: each member rendered with bindings taken from the
// input, each glob as a key, each key with a directory-marker slash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/arrival_filter.h"
#include "core/config.h"
#include "core/ignore_rules.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// The obvious backtracking matcher, for short inputs only: GlobMatch must agree.
bool NaiveGlob(std::string_view g, std::string_view t) {
  if (g.empty()) return t.empty();
  if (g.substr(0, 2) == "**") {
    for (size_t k = 0; k <= t.size(); ++k) {
      if (NaiveGlob(g.substr(2), t.substr(k))) return true;
    }
    return false;
  }
  if (g[0] == '*') {
    for (size_t k = 0; k <= t.size(); ++k) {
      if (NaiveGlob(g.substr(1), t.substr(k))) return true;
      if (k < t.size() && t[k] == '/') return false;
    }
    return false;
  }
  if (t.empty()) return false;
  if (g[0] == '?' ? t[0] == '/' : g[0] != t[0]) return false;
  return NaiveGlob(g.substr(1), t.substr(1));
}

void CheckKey(const eb::BarrierSpec& b, const eb::Pattern& p, const std::string& key) {
  for (const auto& g : b.ignore.globs()) {
    bool fast = eb::GlobMatch(g, key);
    if (g.size() <= 12 && key.size() <= 24) Check(fast == NaiveGlob(g, key));
  }
  if (!p.Match(key)) return;
  eb::Arrival a;
  a.bucket = "fuzz";
  a.key = key;
  a.size = static_cast<int64_t>(key.size());
  a.event_name = "ObjectCreated:Put";
  auto why = eb::FilterArrival(b, p, a);
  if (!why) return;
  Check(why->barrier == b.name && !why->reason.empty());
  if (why->rule == "min_size") {
    Check(a.size < b.min_size);
  } else if (why->rule == "binding") {
    // Some variable bound from the key cannot be a value (core/pattern.h).
    bool unbindable = false;
    const auto bound = p.Match(key);
    for (const auto& [name, value] : *bound)
      unbindable = unbindable || !eb::BindingValueProblem(value).empty();
    Check(unbindable);
  } else if (why->rule != "events") {
    bool listed = false;
    for (const auto& g : b.ignore.globs()) listed = listed || g == why->rule;
    Check(listed);
    // A pattern never ignores the key that is its own literal text: it names it.
    Check(!(p.Variables().empty() && key == p.text()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  eb::ConfigParse p = eb::ParseConfig(text);
  if (!p.ok()) {
    Check(!p.ErrorText().empty());
    return 0;
  }
  for (const eb::BarrierSpec& b : p.config.barriers) {
    Check(eb::IsValidBarrierName(b.name) && b.needed() != 0);
    for (const auto& g : b.ignore.globs()) Check(eb::IgnoreGlobProblem(g).empty());
    Check(b.min_size >= 0);
    // on_late runs only where an instance trips for good; every action is one
    // of the known types, named by the list it is in.
    Check(b.on_late.empty() || b.mode == eb::BarrierMode::kOnce);
    eb::ForEachAction(b, [](const std::string& where, const eb::ActionSpec& a) {
      Check(!a.type.empty() &&
            (where.rfind("on_complete[", 0) == 0 || where.rfind("on_timeout[", 0) == 0 ||
             where.rfind("on_late[", 0) == 0));
    });
    // Keys: every member (or the prefix) rendered with a binding cut from the input.
    std::vector<const eb::Pattern*> patterns;
    for (const auto& m : b.members) patterns.push_back(&m);
    if (b.prefix) patterns.push_back(&*b.prefix);
    std::string value = text.substr(0, std::min<size_t>(text.size(), 8));
    for (char& c : value) c = c == '/' || c == '\0' ? '_' : c;
    if (value.empty()) value = "v";
    for (const eb::Pattern* pat : patterns) {
      eb::Bindings bindings;
      for (const auto& v : pat->Variables()) bindings[v] = value;
      std::string key = pat->Render(bindings);
      CheckKey(b, *pat, key);
      CheckKey(b, *pat, key + "/");
      CheckKey(b, *pat, key + "/" + value);
      for (const auto& g : b.ignore.globs()) CheckKey(b, *pat, key + "/" + g);
    }
  }
  return 0;
}
