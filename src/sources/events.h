// Turning an invocation payload into arrivals (DESIGN section 3).
//
// The envelope is detected from the payload itself, never from configuration:
//   - S3 notification   {"Records":[{"eventSource":"aws:s3","s3":{...}}, ...]}
//     also MinIO (top-level "EventName"/"Key" wrapper, eventSource "minio:s3")
//     and Ceph RGW (eventSource "ceph:s3", size may be a string);
//   - SNS               {"Records":[{"Sns":{"Message":"<JSON text>"}}]}
//   - SQS               {"Records":[{"messageId":..,"body":"<JSON text>"}, ...]}
//     whose body may be any message below, including an SNS notification
//     ({"Type":"Notification","Message":"<JSON text>"});
//   - EventBridge       {"source":"aws.s3","detail-type":"Object Created","detail":{...}}
//   - s3:TestEvent      {"Service":"Amazon S3","Event":"s3:TestEvent",...}  -> kTest
//   - a scheduled event {"detail-type":"Scheduled Event",...}               -> kSchedule
// A leading UTF-8 BOM is skipped (in the payload and in every nested text).
//
// Which records become arrivals (the choice made here): every record that
// names an object is a kArrival, whatever its event: ObjectCreated,
// ObjectRemoved, ObjectRestore, LifecycleExpiration/Transition, Replication,
// IntelligentTiering, ObjectTagging, ObjectAcl. Its event_name says which
// (normalized: no "s3:" prefix), and the engine's per-barrier `events` filter
// decides whether it counts (default "ObjectCreated:*": Put, Post, Copy and
// CompleteMultipartUpload only; see core/config.h EventNameMatches and
// core/arrival_filter.h, which reports the others as ignored). kIgnored is only for
// messages that are not about an S3 object at all: EventBridge events from
// another source (aws.ec2, ...). kTest and kSchedule carry no arrival.
//
// EventBridge detail-types map to notification event names:
//   Object Created           -> ObjectCreated:{Put|Post|Copy|CompleteMultipartUpload} by `reason`
//   Object Deleted           -> ObjectRemoved:{Delete|DeleteMarkerCreated} by `deletion-type`,
//                               LifecycleExpiration:... when reason is "Lifecycle Expiration"
//   Object Restore Initiated/Completed/Expired -> ObjectRestore:{Post|Completed|Delete}
//   Object Tags Added/Deleted -> ObjectTagging:{Put|Delete}; Object ACL Updated -> ObjectAcl:Put
//   Object Storage Class Changed -> LifecycleTransition;
//   Object Access Tier Changed -> IntelligentTiering; any other -> its words joined.
//
// Object keys (KeyDecoding::kAuto): S3 notifications from AWS ("aws:s3", or no
// eventSource) and MinIO ("minio:s3") carry form-URL-encoded keys ('+' is a
// space, %2B a plus): decoded exactly once. Ceph RGW ("ceph:s3") and EventBridge
// ("aws.s3") keys are taken as sent: Ceph sends them raw, and a real
// EventBridge capture shows characters S3 notifications escape (':') unescaped.
// Use kEncoded/kRaw to override when a producer differs.
//
// Errors. A record that cannot be decoded (a missing field, a bad size, an
// invalid percent-escape, invalid UTF-8 after decoding) is an InvalidArgument
// naming the record and the field, e.g.
//   "Records[2].s3.object.key: invalid percent-escape at byte 5".
// In an SQS batch such an error fails only its message (DecodedPayload::failures,
// later reported as batchItemFailures); anywhere else it fails the payload.
// Limits: a payload over kMaxPayloadBytes or kMaxJsonDepth, or holding more
// than kMaxRecords records in all, is refused whole; an SQS body nested too
// deeply fails only its message.
// DecodePayload never throws and never crashes on any input (it is fuzzed).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/arrival.h"

namespace eb {

// Lambda's own invocation payload limit.
inline constexpr size_t kMaxPayloadBytes = 6 * 1024 * 1024;
// Nesting of arrays/objects in any one JSON text (payload, SQS body, SNS Message).
inline constexpr int kMaxJsonDepth = 64;
// Records in one payload, counted after unwrapping every envelope.
inline constexpr size_t kMaxRecords = 10000;

enum class KeyDecoding {
  kAuto,     // by eventSource: aws:s3 and minio:s3 form-URL-encoded; ceph:s3 and EventBridge raw
  kEncoded,  // always form-URL-decode
  kRaw,      // never decode
};

struct DecodeOptions {
  KeyDecoding key_decoding = KeyDecoding::kAuto;
};

enum class RecordKind {
  kArrival,   // `arrival` is filled
  kTest,      // s3:TestEvent: acknowledge, do nothing
  kSchedule,  // EventBridge "Scheduled Event": run the sweeper
  kIgnored,   // not an S3 object event; `reason` says what it was
};
const char* RecordKindName(RecordKind kind);  // "arrival", "test", "schedule", "ignored"

struct DecodedRecord {
  RecordKind kind = RecordKind::kIgnored;
  Arrival arrival;         // kArrival
  std::string message_id;  // the SQS message it came from, if any
  std::string reason;      // kIgnored: why
};

struct DecodedPayload {
  std::vector<DecodedRecord> records;  // in payload order
  // SQS: messages that could not be decoded (reported as batchItemFailures),
  // each with the reason; the other messages' records are still in `records`.
  struct Failure {
    std::string message_id;
    std::string error;  // e.g. "body: Records[0].s3.object.key: invalid percent-escape at byte 5"
  };
  std::vector<Failure> failures;
  bool is_sqs = false;  // the payload was an SQS batch
};

// Decodes one payload. A payload that cannot be decoded at all is an
// InvalidArgument naming the field and the reason (see the header comment).
Result<DecodedPayload> DecodePayload(std::string_view payload, const DecodeOptions& options = {});

}  // namespace eb
