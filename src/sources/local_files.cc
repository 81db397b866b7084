#include "sources/local_files.h"

#include "base/crypto.h"

namespace eb {

std::string LocalFileVersion(const FileVersion& v) {
  return "i" + std::to_string(v.inode) + "-m" + std::to_string(v.mtime_ns) + "-s" + std::to_string(v.size);
}

Arrival LocalFileArrival(const FileEvent& file, const std::string& bucket) {
  Arrival a;
  a.bucket = bucket;
  a.key = file.key;
  a.size = file.version.size;
  a.version_id = LocalFileVersion(file.version);
  a.etag = Sha256Hex(a.version_id).substr(0, 32);
  a.event_name = "ObjectCreated:Put";
  a.event_time = FormatIso8601(file.version.mtime_ns / 1'000'000);
  a.source = "local";
  return a;
}

namespace {

// Matches `text` from `ti` against template `t` from `pi`; "{name}" stands for
// one or more characters other than '/'.
bool MatchFrom(const std::string& t, size_t pi, const std::string& text, size_t ti) {
  while (pi < t.size()) {
    if (t[pi] == '{') {
      size_t close = t.find('}', pi);
      if (close == std::string::npos) break;  // not a variable: a literal '{'
      size_t rest = close + 1;
      for (size_t end = ti + 1; end <= text.size() && text[end - 1] != '/'; ++end) {
        if (MatchFrom(t, rest, text, end)) return true;
      }
      return false;
    }
    if (ti >= text.size() || text[ti] != t[pi]) return false;
    ++pi;
    ++ti;
  }
  return t.compare(pi, std::string::npos, text, ti, std::string::npos) == 0;
}

}  // namespace

bool MatchesKeyTemplate(const std::string& key_template, const std::string& key) {
  return MatchFrom(key_template, 0, key, 0);
}

}  // namespace eb
