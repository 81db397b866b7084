#include "core/marker_details.h"

#include <charconv>
#include <vector>

#include "core/keys.h"

namespace eb {

namespace {
constexpr char kSeparator = ',';
constexpr size_t kFields = 6;
}  // namespace

std::string EncodeMarkerDetails(const Arrival& a, const std::string& tag, const std::string& id) {
  const size_t tag_and_id_size = tag.size() + 1 + id.size();  // "<tag>.<id>"
  // The order puts the short, fixed fields first; the object key, the only
  // field that may be long, goes last.
  const std::string fields[kFields] = {std::to_string(a.size), a.etag, a.version_id,
                                       a.bucket, a.event_time, a.key};
  std::string out;
  for (size_t i = 0; i < kFields; ++i) {
    if (i) out.push_back(kSeparator);
    out += EncodeSegment(fields[i]);
    if (tag_and_id_size + 1 + out.size() > kMaxMarkerName) return "";
  }
  return out;
}

bool DecodeMarkerDetails(const std::string& details, Arrival* out) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t comma = details.find(kSeparator, start);
    parts.push_back(details.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (parts.size() != kFields) return false;
  std::string decoded[kFields];
  for (size_t i = 0; i < kFields; ++i) {
    auto d = DecodeSegment(parts[i]);
    if (!d) return false;
    decoded[i] = std::move(*d);
  }
  int64_t size = 0;
  const std::string& s = decoded[0];
  if (s.empty() || std::from_chars(s.data(), s.data() + s.size(), size).ptr != s.data() + s.size()) return false;
  if (decoded[5].empty()) return false;
  out->size = size;
  out->etag = std::move(decoded[1]);
  out->version_id = std::move(decoded[2]);
  out->bucket = std::move(decoded[3]);
  out->event_time = std::move(decoded[4]);
  out->key = std::move(decoded[5]);
  return true;
}

}  // namespace eb
