// The S3 notification of one upload, as the engine tests feed it.
#pragma once

#include <string>

#include "base/clock.h"
#include "core/arrival.h"

namespace eb::test {

// When every Upload's event happened (its event_time, 2026-11-24T06:00:00Z).
// The fixtures' clocks start before it, so their arrivals are prompt
// (EngineOptions::prompt_arrival_ms) and read no tombstone.
inline constexpr TimeMs kUploadEventMs = 1'795'500'000'000;
// A clock time at which an Upload's delivery is no longer prompt: a retry,
// a redelivery or a replay ten minutes after the event.
inline constexpr TimeMs kRedeliveryMs = kUploadEventMs + 10 * 60 * 1000;

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
