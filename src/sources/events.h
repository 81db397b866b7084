// Turning an invocation payload into arrivals (DESIGN section 3).
// The envelope is detected from the payload itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/arrival.h"

namespace eb {

enum class KeyDecoding {
  kAuto,     // by eventSource: aws:s3 and minio:s3 form-URL-encoded, ceph:s3 raw
  kEncoded,  // always form-URL-decode
  kRaw,      // never decode
};

struct DecodeOptions {
  KeyDecoding key_decoding = KeyDecoding::kAuto;
};

enum class RecordKind { kArrival, kTest, kSchedule, kIgnored };
const char* RecordKindName(RecordKind kind);

struct DecodedRecord {
  RecordKind kind = RecordKind::kIgnored;
  Arrival arrival;         // kArrival
  std::string message_id;  // the SQS message it came from, if any
  std::string reason;      // kIgnored: why
};

struct DecodedPayload {
  std::vector<DecodedRecord> records;
  // SQS: messages that could not be decoded (reported as batchItemFailures),
  // each with the reason; the other messages' records are still in `records`.
  struct Failure {
    std::string message_id;
    std::string error;
  };
  std::vector<Failure> failures;
  bool is_sqs = false;
};

// Decodes one payload. A payload that cannot be decoded at all is an
// InvalidArgument naming the field and the reason.
Result<DecodedPayload> DecodePayload(std::string_view payload, const DecodeOptions& options = {});

// Decodes application/x-www-form-urlencoded text ('+' is a space, %XX a byte);
// InvalidArgument on a bad escape or invalid UTF-8 in the result.
Result<std::string> FormUrlDecode(std::string_view text);

}  // namespace eb
