// Minimal S3 `Records` decoding; the full envelope decoder extends this.
#include <nlohmann/json.hpp>

#include "sources/events.h"

namespace eb {

using json = nlohmann::json;

const char* RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kArrival: return "arrival";
    case RecordKind::kTest: return "test";
    case RecordKind::kSchedule: return "schedule";
    case RecordKind::kIgnored: return "ignored";
  }
  return "ignored";
}

static int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

Result<std::string> FormUrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) {
        return Status::InvalidArgument("truncated percent-escape at byte " + std::to_string(i));
      }
      int hi = HexDigit(text[i + 1]), lo = HexDigit(text[i + 2]);
      if (hi < 0 || lo < 0) return Status::InvalidArgument("invalid percent-escape at byte " + std::to_string(i));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  if (!ValidUtf8(out)) return Status::InvalidArgument("decoded key is not valid UTF-8");
  return out;
}

Result<DecodedPayload> DecodePayload(std::string_view payload, const DecodeOptions& options) {
  json root = json::parse(payload, nullptr, false);
  if (root.is_discarded()) return Status::InvalidArgument("payload: not valid JSON");
  if (!root.is_object() || !root.contains("Records") || !root["Records"].is_array()) {
    return Status::InvalidArgument("payload: expected an object with a \"Records\" list");
  }
  DecodedPayload out;
  const json& records = root["Records"];
  for (size_t i = 0; i < records.size(); ++i) {
    std::string where = "Records[" + std::to_string(i) + "]";
    const json& r = records[i];
    try {
      DecodedRecord rec;
      rec.kind = RecordKind::kArrival;
      Arrival& a = rec.arrival;
      a.source = r.value("eventSource", "aws:s3");
      a.event_name = r.at("eventName").get<std::string>();
      if (a.event_name.rfind("s3:", 0) == 0) a.event_name = a.event_name.substr(3);
      a.event_time = r.value("eventTime", "");
      const json& s3 = r.at("s3");
      a.bucket = s3.at("bucket").at("name").get<std::string>();
      const json& obj = s3.at("object");
      std::string raw_key = obj.at("key").get<std::string>();
      bool decode = options.key_decoding == KeyDecoding::kEncoded ||
                    (options.key_decoding == KeyDecoding::kAuto && a.source != "ceph:s3");
      if (decode) {
        auto k = FormUrlDecode(raw_key);
        if (!k.ok()) return k.status().WithContext(where + ".s3.object.key");
        a.key = *k;
      } else {
        a.key = raw_key;
      }
      if (obj.contains("size")) {
        const json& size = obj["size"];
        a.size = size.is_string() ? std::stoll(size.get<std::string>()) : size.get<int64_t>();
      }
      a.etag = obj.value("eTag", "");
      if (a.etag.size() >= 2 && a.etag.front() == '"' && a.etag.back() == '"') a.etag = a.etag.substr(1, a.etag.size() - 2);
      a.version_id = obj.value("versionId", "");
      a.sequencer = obj.value("sequencer", "");
      out.records.push_back(std::move(rec));
    } catch (const std::exception& e) {
      return Status::InvalidArgument(where + ": " + e.what());
    }
  }
  return out;
}

}  // namespace eb
