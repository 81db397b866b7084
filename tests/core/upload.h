// The S3 notification of one upload, as the engine tests feed it.
#pragma once

#include <string>

#include "core/arrival.h"

namespace eb::test {

inline Arrival Upload(const std::string& key, const std::string& sequencer = "1",
                      const std::string& bucket = "bkt") {
  Arrival a;
  a.bucket = bucket;
  a.key = key;
  a.size = 10;
  a.etag = "etag-" + key + "-" + sequencer;
  a.sequencer = sequencer;
  a.event_name = "ObjectCreated:Put";
  a.event_time = "2026-11-24T06:00:00.000Z";
  a.source = "aws:s3";
  return a;
}

}  // namespace eb::test
