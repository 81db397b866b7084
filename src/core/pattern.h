// Key patterns: "sales/{date}/east.csv". A pattern is a list of '/'-separated
// segments, each either a literal or a whole-segment variable `{name}`.
// A key matches when its first segments match the pattern's and it either ends
// there or continues with '/': member "0/0" is satisfied by "0/0" and
// "0/0/file1.txt", not by "0/0x".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace eb {

using Bindings = std::map<std::string, std::string>;

class Pattern {
 public:
  struct Segment {
    bool is_variable = false;
    std::string text;  // the literal, or the variable's name
  };

  // Parses `text`. InvalidArgument (with the reason) for an empty pattern, an
  // empty segment ("a//b"), a variable that is not a whole segment ("x{d}"),
  // a bad variable name, or the same variable twice.
  static Result<Pattern> Parse(const std::string& text);

  // The bindings if `key` matches, else nullopt. A variable binds whatever
  // its key segment holds, an empty one included: whether that can be a
  // value is BindingValueProblem's question (the engine ignores such a key
  // with a counted reason, core/arrival_filter.h).
  std::optional<Bindings> Match(const std::string& key) const;

  // True if some key could match both patterns (used to reject overlapping members).
  bool Overlaps(const Pattern& other) const;

  // The pattern with variables replaced from `bindings`; a missing variable stays "{name}".
  std::string Render(const Bindings& bindings) const;

  const std::string& text() const { return text_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // Variable names in order of appearance.
  std::vector<std::string> Variables() const;

 private:
  std::string text_;
  std::vector<Segment> segments_;
};

// Values bound from object keys are untrusted: they end up in state keys,
// manifest keys, exec arguments and webhook URLs. A key segment binds only if
// it is not empty, not "." or "..", holds no control character (C0, DEL, C1)
// and is at most kMaxBindingValue bytes. Returns why `value` cannot be bound,
// or "" when it can.
inline constexpr size_t kMaxBindingValue = 256;
std::string BindingValueProblem(std::string_view value);

// Splits on '/', keeping empty segments.
std::vector<std::string> SplitKey(const std::string& key);

}  // namespace eb
