// A trip record: what one generation of one barrier instance consumed.
// Written once with PUT-if-absent at P B/I/t/<gen>; immutable afterwards.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "core/arrival.h"
#include "core/pattern.h"

namespace eb {

enum class TripStatus { kComplete, kTimeout };
const char* TripStatusName(TripStatus status);

struct ConsumedArrival {
  std::string id;      // ArrivalId
  std::string member;  // the member pattern (or the count prefix) it satisfied
  std::string tag;     // the marker's tag (see core/keys.h)
  Arrival arrival;
};

// Ids consumed by one earlier generation, carried forward in later records.
struct ConsumedWindowEntry {
  int64_t generation = 0;
  TimeMs claimed_at = 0;
  std::vector<std::string> ids;
};

struct TripRecord {
  std::string barrier;
  std::string instance;
  Bindings bindings;
  int64_t generation = 0;
  TripStatus status = TripStatus::kComplete;
  TimeMs claimed_at = 0;
  std::string claimed_by;   // unique per claim attempt: "<worker>/<nonce>"
  std::string trigger;      // the arrival id whose processing claimed it, or "sweep"
  TimeMs first_arrival_at = 0;  // store time of the generation's earliest marker
  std::vector<ConsumedArrival> arrivals;
  std::vector<std::string> missing;  // members (rendered) missing on timeout
  // Arrival ids consumed by earlier generations within the retention window
  // (newest first). With this record's own ids, it is everything a stale
  // duplicate could repeat: see docs/PROTOCOL.md, "the consumed window".
  std::vector<ConsumedWindowEntry> window;
  // Key of the immutable checkpoint holding the window's older part (written
  // every 64 generations), so a record carries at most 64 generations of ids.
  std::string window_checkpoint;

  // "barrier/instance/generation": travels with every action.
  std::string IdempotencyKey() const;
};

std::string SerializeTrip(const TripRecord& trip);
Result<TripRecord> ParseTrip(const std::string& json_text);

// A window checkpoint's body.
std::string SerializeWindow(const std::vector<ConsumedWindowEntry>& window);
Result<std::vector<ConsumedWindowEntry>> ParseWindow(const std::string& json_text);

// Arrival marker bodies: the arrival plus the member it satisfied.
std::string SerializeMarker(const ConsumedArrival& marker);
Result<ConsumedArrival> ParseMarker(const std::string& json_text);

// The body of `t/<gen>.done`: who finished the trip, when, and what each of
// its actions reported (an exec's exit code and stderr, a webhook's HTTP status).
struct DoneRecord {
  struct Action {
    std::string type;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  std::string by;  // worker id
  TimeMs at = 0;
  bool redriven = false;
  std::vector<Action> actions;
};

std::string SerializeDone(const DoneRecord& done);
// Never fails: a body that is not a JSON object (records written before the
// body carried reports held only the worker id) is taken as `by`.
DoneRecord ParseDone(const std::string& body);

// The manifest handed to actions: barrier, instance, generation, status,
// idempotency key, vars, every consumed object, missing members.
std::string ManifestJson(const TripRecord& trip);

}  // namespace eb
