// One S3 notification record (AWS, MinIO and Ceph RGW share the format).
//
// AWS: {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":...,
//       "s3":{"bucket":{"name":...},"object":{"key":"a+b","size":1,"eTag":...,
//       "versionId":...,"sequencer":...}}}
// MinIO: the same with eventSource "minio:s3" and eventName "s3:ObjectCreated:Put".
// Ceph:  eventSource "ceph:s3", raw keys, size possibly a string.
#include "sources/decode_internal.h"

namespace eb::sources {

namespace {

// Whether kAuto treats keys from `source` as form-URL-encoded: everything
// that speaks the AWS format does, except Ceph RGW which sends keys raw.
bool SourceEncodesKeys(const std::string& source) { return source != "ceph:s3"; }

}  // namespace

Result<DecodedRecord> DecodeS3Record(const json& record, const std::string& where,
                                     const DecodeOptions& options) {
  DecodedRecord out;
  out.kind = RecordKind::kArrival;
  Arrival& a = out.arrival;

  EB_ASSIGN_OR_RETURN(a.source, OptionalString(record, "eventSource", where));
  if (a.source.empty()) a.source = "aws:s3";
  EB_ASSIGN_OR_RETURN(std::string name, RequiredString(record, "eventName", where));
  a.event_name = NormalizeEventName(name);
  if (a.event_name.empty()) return Status::InvalidArgument(Join(where, "eventName") + ": empty");
  EB_ASSIGN_OR_RETURN(a.event_time, OptionalString(record, "eventTime", where));

  EB_ASSIGN_OR_RETURN(const json* s3, RequiredObject(record, "s3", where));
  const std::string s3_where = Join(where, "s3");
  EB_ASSIGN_OR_RETURN(const json* bucket, RequiredObject(*s3, "bucket", s3_where));
  EB_ASSIGN_OR_RETURN(a.bucket, RequiredString(*bucket, "name", Join(s3_where, "bucket")));
  if (a.bucket.empty()) return Status::InvalidArgument(Join(s3_where, "bucket.name") + ": empty");

  EB_ASSIGN_OR_RETURN(const json* obj, RequiredObject(*s3, "object", s3_where));
  const std::string obj_where = Join(s3_where, "object");
  EB_ASSIGN_OR_RETURN(std::string key, RequiredString(*obj, "key", obj_where));
  EB_ASSIGN_OR_RETURN(a.key,
                      DecodeKey(key, SourceEncodesKeys(a.source), options, Join(obj_where, "key")));
  EB_ASSIGN_OR_RETURN(a.size, OptionalSize(*obj, "size", obj_where));
  EB_ASSIGN_OR_RETURN(std::string etag, OptionalString(*obj, "eTag", obj_where));
  a.etag = StripQuotes(etag);
  EB_ASSIGN_OR_RETURN(a.version_id, OptionalString(*obj, "versionId", obj_where));
  EB_ASSIGN_OR_RETURN(a.sequencer, OptionalString(*obj, "sequencer", obj_where));
  if (a.source == "ceph:s3") {
    // RGW's sequencer differs between the copies it pushes to several topics;
    // the upload's request id does not (docs/SERVE.md).
    auto response = record.find("responseElements");
    if (response != record.end() && response->is_object()) {
      EB_ASSIGN_OR_RETURN(a.write_id, OptionalString(*response, "x-amz-request-id",
                                                     Join(where, "responseElements")));
    }
  }
  return out;
}

}  // namespace eb::sources
