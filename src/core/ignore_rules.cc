#include "core/ignore_rules.h"

#include <algorithm>

namespace eb {

bool GlobMatch(std::string_view glob, std::string_view text) {
  // Dynamic programming over (glob position, text position), one row of the
  // text at a time: no backtracking, so "*a*a*a*a*b" costs no more than "ab".
  const size_t n = text.size();
  std::vector<char> row(n + 1, 0), next(n + 1, 0);
  row[0] = 1;  // the empty glob prefix matches the empty text prefix
  size_t i = 0;
  while (i < glob.size()) {
    bool star = glob[i] == '*';
    bool deep = star && i + 1 < glob.size() && glob[i + 1] == '*';
    std::fill(next.begin(), next.end(), 0);
    if (star) {
      // next[j]: some k <= j has row[k] and text[k, j) holds no '/' (unless deep).
      bool reach = false;
      for (size_t j = 0; j <= n; ++j) {
        if (j > 0 && !deep && text[j - 1] == '/') reach = false;
        reach = reach || row[j];
        next[j] = reach;
      }
      i += deep ? 2 : 1;
    } else {
      for (size_t j = 0; j < n; ++j) {
        if (!row[j]) continue;
        bool ok = glob[i] == '?' ? text[j] != '/' : text[j] == glob[i];
        if (ok) next[j + 1] = 1;
      }
      ++i;
    }
    row.swap(next);
  }
  return row[n] != 0;
}

std::string IgnoreGlobProblem(const std::string& glob) {
  if (glob.empty()) return "an empty glob";
  if (glob.size() > kMaxIgnoreGlob) return "longer than " + std::to_string(kMaxIgnoreGlob) + " characters";
  if (std::all_of(glob.begin(), glob.end(), [](char c) { return c == '*'; })) {
    return "'" + glob + "' would ignore every key, so no barrier could trip (use \"ignore\": [] to turn the rules off)";
  }
  return "";
}

namespace {

struct DefaultGlob {
  const char* glob;
  const char* why;
};

const DefaultGlob kDefaults[] = {
    {"_*", "Hadoop hidden segment: _temporary/, _SUCCESS, _committed_*, _delta_log/"},
    {".*", "hidden segment: .crc checksums, .spark-staging-*, rsync and editor temporaries"},
    {"**/", "directory marker (key ending in '/')"},
    {"*_$folder$", "directory marker (Hadoop S3N)"},
    {"*.tmp", "temporary file"},
    {"*.temp", "temporary file"},
    {"*.part", "partial download or upload"},
    {"*.partial", "partial download or upload"},
    {"*._COPYING_", "hadoop fs -put in progress"},
    {"*.crdownload", "browser download in progress"},
    {"*.filepart", "WinSCP upload in progress"},
    {"*~", "editor backup"},
};

}  // namespace

const std::vector<std::string>& DefaultIgnoreGlobs() {
  static const std::vector<std::string> globs = [] {
    std::vector<std::string> out;
    for (const auto& d : kDefaults) out.emplace_back(d.glob);
    return out;
  }();
  return globs;
}

std::string DescribeIgnoreGlob(const std::string& glob) {
  for (const auto& d : kDefaults) {
    if (glob == d.glob) return d.why;
  }
  return "";
}

IgnoreRules::IgnoreRules(std::vector<std::string> globs) : globs_(std::move(globs)) {
  for (const auto& g : globs_) whole_key_.push_back(g.find('/') != std::string::npos);
}

std::optional<std::string> IgnoreRules::Ignores(const std::string& key, const Pattern& matched) const {
  if (globs_.empty()) return std::nullopt;
  const auto& pattern = matched.segments();
  // Segment by segment: the i-th key segment is named explicitly when the
  // pattern's i-th segment is a literal (it then equals it: the pattern matched).
  size_t start = 0;
  for (size_t index = 0;; ++index) {
    size_t slash = key.find('/', start);
    size_t end = slash == std::string::npos ? key.size() : slash;
    bool named = index < pattern.size() && !pattern[index].is_variable;
    if (!named) {
      std::string_view segment(key.data() + start, end - start);
      for (size_t g = 0; g < globs_.size(); ++g) {
        if (!whole_key_[g] && !segment.empty() && GlobMatch(globs_[g], segment)) return globs_[g];
      }
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  for (size_t g = 0; g < globs_.size(); ++g) {
    if (whole_key_[g] && GlobMatch(globs_[g], key) && !GlobMatch(globs_[g], matched.text())) return globs_[g];
  }
  return std::nullopt;
}

}  // namespace eb
