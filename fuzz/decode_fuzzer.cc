// libFuzzer target: DecodePayload (and FormUrlDecode) on arbitrary bytes.
// Beyond "no crash, leak or sanitizer report" it checks what events.h promises.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/percent.h"
#include "base/utf8.h"
#include "core/arrival_filter.h"
#include "core/config.h"
#include "sources/events.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// A barrier counting every key under any first segment, with the default
// rules: what the matcher makes of each decoded arrival must be consistent.
const eb::Config& CatchAll() {
  static const eb::ConfigParse parsed =
      eb::ParseConfig(R"({"barriers": {"all": {"count": 1, "prefix": "{top}", "min_size": 1}}})");
  if (!parsed.ok()) std::abort();
  return parsed.config;
}

void CheckFilter(const eb::Arrival& a) {
  const eb::BarrierSpec& b = CatchAll().barriers[0];
  if (!b.prefix->Match(a.key)) return;
  auto why = eb::FilterArrival(b, *b.prefix, a);
  bool data_event = false;
  for (const char* name : eb::kDataEventNames) data_event = data_event || a.event_name == name;
  Check(eb::EventNameMatches("ObjectCreated:*", a.event_name) == data_event);
  if (!why) {
    Check(data_event && a.size >= 1 && a.key.back() != '/');
    return;
  }
  Check(!why->reason.empty());
  if (why->rule == "events") Check(!data_event);
  if (why->rule == "min_size") Check(a.size < 1);
}

void DecodeWith(std::string_view text, eb::KeyDecoding mode) {
  eb::DecodeOptions options;
  options.key_decoding = mode;
  auto r = eb::DecodePayload(text, options);
  if (!r.ok()) {
    Check(r.status().code() == eb::Code::kInvalidArgument && !r.status().message().empty());
    return;
  }
  Check(r->records.size() <= eb::kMaxRecords);
  Check(r->is_sqs || r->failures.empty());
  for (const auto& f : r->failures) Check(!f.message_id.empty() && !f.error.empty());
  for (const eb::DecodedRecord& rec : r->records) {
    if (rec.kind != eb::RecordKind::kArrival) continue;
    const eb::Arrival& a = rec.arrival;
    Check(!a.bucket.empty() && !a.key.empty() && a.size >= 0 && !a.event_name.empty());
    Check(eb::IsValidUtf8(a.key));  // decoded keys are checked; raw ones come from valid JSON
    Check(a.event_name.rfind("s3:", 0) != 0);
    Check(r->is_sqs == !rec.message_id.empty());
    CheckFilter(a);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  DecodeWith(text, eb::KeyDecoding::kAuto);
  DecodeWith(text, eb::KeyDecoding::kEncoded);
  DecodeWith(text, eb::KeyDecoding::kRaw);
  auto key = eb::FormUrlDecode(text);
  if (key.ok()) Check(eb::IsValidUtf8(*key) && key->size() <= text.size());
  return 0;
}
