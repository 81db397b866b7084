// The manifest fields of an arrival carried in its marker's key, so that one
// LIST of a/ tells a claimant everything the trip record and the manifest
// need and no marker body is read (docs/PROTOCOL.md, "Claim from the listing").
//
// The details are the arrival's size, ETag, version id, bucket, event time and
// object key, each percent-encoded (keys.h EncodeSegment) and joined by ','.
// They are carried only when the whole marker name stays within
// kMaxMarkerName bytes (a file name on the folder store; S3 allows 1,024 for
// the whole key): longer arrivals keep a name without details and the
// claimant reads their body instead.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/arrival.h"

namespace eb {

constexpr size_t kMaxMarkerName = 255;

// The encoded details of `arrival` when its marker name "<tag>.<id>.<details>"
// fits in kMaxMarkerName bytes; empty otherwise.
std::string EncodeMarkerDetails(const Arrival& arrival, const std::string& tag, const std::string& id);

// Fills bucket, key, etag, version_id, size and event_time of `out` from
// encoded details; false when they do not parse (the body is read instead).
bool DecodeMarkerDetails(const std::string& details, Arrival* out);

}  // namespace eb
