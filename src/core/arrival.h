// An arrival: one object-created notification, whatever envelope carried it.
#pragma once

#include <string>

#include "base/clock.h"

namespace eb {

struct Arrival {
  std::string bucket;
  std::string key;  // decoded exactly once
  int64_t size = 0;
  std::string etag;  // without quotes
  std::string version_id;
  std::string sequencer;
  // The id of the request that wrote the object, for a sender whose sequencer
  // identifies one notification rather than the write: Ceph RGW gives each
  // topic's copy of one upload its own sequencer, but the same
  // responseElements.x-amz-request-id.
  std::string write_id;
  std::string event_name;  // e.g. "ObjectCreated:Put" (no "s3:" prefix)
  std::string event_time;  // as sent, ISO 8601
  std::string source;      // "aws:s3", "ceph:s3", "minio:s3", "aws.s3" (EventBridge), "local"
};

// The id of an arrival's marker, derived from the event itself so that every
// delivery of the same event maps to the same id: a hash of bucket, key and the
// most specific version information the event carries (version id, else
// write id, else sequencer, else ETag). 32 lower-case hex characters.
std::string ArrivalId(const Arrival& arrival);

}  // namespace eb
