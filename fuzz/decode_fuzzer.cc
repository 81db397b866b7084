// libFuzzer target: DecodePayload (and FormUrlDecode) on arbitrary bytes.
// Beyond "no crash, leak or sanitizer report" it checks what events.h promises.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sources/events.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
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
