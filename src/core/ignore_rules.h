// What is not data: the globs that keep producers' side files (Hadoop's
// _temporary/ and .crc files, directory markers, uploaders' temporary names)
// from counting as arrivals. Pure: no I/O, no clock.
//
// Glob syntax: `*` is any run of characters other than '/', `?` one character
// other than '/', `**` any run of characters including '/'; everything else
// is literal. A glob without '/' is tried against every path segment of a
// key ("_*" ignores "out/r1/_temporary/0/part-0"); a glob with a '/' against
// the whole key ("**/" ignores "out/r2/", a directory marker).
//
// A member pattern that names a thing explicitly wins over the rules: a
// segment glob is not tried on the key segments that the matching pattern
// spells out literally ("sales/{date}/_SUCCESS" counts "sales/d1/_SUCCESS"),
// and a whole-key glob that the pattern's own text matches is not applied.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pattern.h"

namespace eb {

// True if `text` matches `glob` (syntax above, whole text). Time and memory
// O(|glob| * |text|), whatever the glob.
bool GlobMatch(std::string_view glob, std::string_view text);

// Why `glob` cannot be an ignore rule, or "" if it can: empty, longer than
// kMaxIgnoreGlob, or one that would ignore every key ("*", "**").
inline constexpr size_t kMaxIgnoreGlob = 256;
std::string IgnoreGlobProblem(const std::string& glob);

// The rules that apply when a configuration says nothing: Hadoop's hidden
// segments, directory markers (and S3N's "_$folder$"), temporary suffixes.
const std::vector<std::string>& DefaultIgnoreGlobs();

// A short description of a default glob ("Hadoop hidden segment", ...), or
// "" for any other glob. For `validate` and the docs.
std::string DescribeIgnoreGlob(const std::string& glob);

class IgnoreRules {
 public:
  IgnoreRules() = default;  // no rules
  // REQUIRES: IgnoreGlobProblem(g) is "" for every glob.
  explicit IgnoreRules(std::vector<std::string> globs);

  // The first glob that makes `key` not data, given the member pattern (or
  // count prefix) that matched it; nullopt if the key is data.
  std::optional<std::string> Ignores(const std::string& key, const Pattern& matched) const;

  const std::vector<std::string>& globs() const { return globs_; }
  bool empty() const { return globs_.empty(); }

 private:
  std::vector<std::string> globs_;
  std::vector<bool> whole_key_;  // per glob: it contains '/'
};

}  // namespace eb
