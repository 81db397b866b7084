// EventBridge events: S3 object events (source "aws.s3"), scheduled events,
// and anything else (ignored).
//
// {"source":"aws.s3","detail-type":"Object Created","time":"...",
//  "detail":{"bucket":{"name":...},"object":{"key":...,"size":5,"etag":...,
//            "version-id":...,"sequencer":...},"reason":"PutObject"}}
#include <iterator>
#include <utility>

#include "sources/decode_internal.h"

namespace eb::sources {

namespace {

struct Mapping {
  const char* from;
  const char* to;
};

const char* Lookup(const Mapping* table, size_t n, const std::string& from) {
  for (size_t i = 0; i < n; ++i) {
    if (from == table[i].from) return table[i].to;
  }
  return nullptr;
}

// "Object Tags Added" -> "ObjectTagsAdded": for detail-types without a mapping.
std::string JoinWords(const std::string& words) {
  std::string out;
  for (char c : words) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

// The S3 notification event name for an EventBridge detail-type (see events.h).
std::string EventNameFor(const std::string& detail_type, const std::string& reason,
                         const std::string& deletion_type) {
  if (detail_type == "Object Created") {
    static constexpr Mapping kReasons[] = {{"PutObject", "Put"},
                                           {"PostObject", "Post"},
                                           {"CopyObject", "Copy"},
                                           {"CompleteMultipartUpload", "CompleteMultipartUpload"}};
    const char* action = Lookup(kReasons, std::size(kReasons), reason);
    return std::string("ObjectCreated:") + (action ? action : reason.empty() ? "Put" : reason);
  }
  if (detail_type == "Object Deleted") {
    const char* prefix =
        reason == "Lifecycle Expiration" ? "LifecycleExpiration:" : "ObjectRemoved:";
    return std::string(prefix) +
           (deletion_type == "Delete Marker Created" ? "DeleteMarkerCreated" : "Delete");
  }
  static constexpr Mapping kTypes[] = {
      {"Object Restore Initiated", "ObjectRestore:Post"},
      {"Object Restore Completed", "ObjectRestore:Completed"},
      {"Object Restore Expired", "ObjectRestore:Delete"},
      {"Object Tags Added", "ObjectTagging:Put"},
      {"Object Tags Deleted", "ObjectTagging:Delete"},
      {"Object ACL Updated", "ObjectAcl:Put"},
      {"Object Storage Class Changed", "LifecycleTransition"},
      {"Object Access Tier Changed", "IntelligentTiering"},
  };
  const char* name = Lookup(kTypes, std::size(kTypes), detail_type);
  return name ? name : JoinWords(detail_type);
}

}  // namespace

bool IsEventBridge(const json& message) {
  return message.is_object() && message.contains("detail-type") && message.contains("source");
}

Result<DecodedRecord> DecodeEventBridge(const json& event, const std::string& where,
                                        const DecodeOptions& options) {
  DecodedRecord out;
  EB_ASSIGN_OR_RETURN(std::string source, RequiredString(event, "source", where));
  EB_ASSIGN_OR_RETURN(std::string detail_type, RequiredString(event, "detail-type", where));
  if (detail_type == "Scheduled Event") {  // EventBridge rules (aws.events) and Scheduler
    out.kind = RecordKind::kSchedule;
    return out;
  }
  if (source != "aws.s3") {
    out.kind = RecordKind::kIgnored;
    out.reason =
        "EventBridge event from " + source + " (" + detail_type + ") is not an S3 object event";
    return out;
  }

  out.kind = RecordKind::kArrival;
  Arrival& a = out.arrival;
  a.source = "aws.s3";
  EB_ASSIGN_OR_RETURN(a.event_time, OptionalString(event, "time", where));
  EB_ASSIGN_OR_RETURN(const json* detail, RequiredObject(event, "detail", where));
  const std::string d_where = Join(where, "detail");
  EB_ASSIGN_OR_RETURN(std::string reason, OptionalString(*detail, "reason", d_where));
  EB_ASSIGN_OR_RETURN(std::string deletion, OptionalString(*detail, "deletion-type", d_where));
  // Normalized like an S3 record's eventName (events.h): an unmapped
  // detail-type such as "s3: X" must not keep the prefix, nor one of spaces
  // leave no name at all.
  a.event_name = NormalizeEventName(EventNameFor(detail_type, reason, deletion));
  if (a.event_name.empty()) {
    return Status::InvalidArgument(Join(where, "detail-type") + ": \"" + detail_type.substr(0, 40) +
                                   "\" names no event");
  }

  EB_ASSIGN_OR_RETURN(const json* bucket, RequiredObject(*detail, "bucket", d_where));
  EB_ASSIGN_OR_RETURN(a.bucket, RequiredString(*bucket, "name", Join(d_where, "bucket")));
  if (a.bucket.empty()) return Status::InvalidArgument(Join(d_where, "bucket.name") + ": empty");

  EB_ASSIGN_OR_RETURN(const json* obj, RequiredObject(*detail, "object", d_where));
  const std::string obj_where = Join(d_where, "object");
  EB_ASSIGN_OR_RETURN(std::string key, RequiredString(*obj, "key", obj_where));
  // kAuto takes EventBridge keys as sent (see events.h).
  EB_ASSIGN_OR_RETURN(a.key,
                      DecodeKey(key, /*source_encodes=*/false, options, Join(obj_where, "key")));
  EB_ASSIGN_OR_RETURN(a.size, OptionalSize(*obj, "size", obj_where));
  EB_ASSIGN_OR_RETURN(std::string etag, OptionalString(*obj, "etag", obj_where));
  a.etag = StripQuotes(etag);
  EB_ASSIGN_OR_RETURN(a.version_id, OptionalString(*obj, "version-id", obj_where));
  EB_ASSIGN_OR_RETURN(a.sequencer, OptionalString(*obj, "sequencer", obj_where));
  return out;
}

}  // namespace eb::sources
