// A trip record: what one generation of one barrier instance consumed.
// Written once with PUT-if-absent at P B/I/t/<gen>; immutable afterwards.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "core/arrival.h"
#include "core/pattern.h"

namespace eb {

// How a generation tripped: every member arrived, its timeout ran out (the
// sweeper), or an operator forced it (`eventbarrier trip --force`). kLate is
// never a trip's: it is the status of the record handed to on_late actions
// (an arrival after the instance tripped for good; core/late_arrival.h).
enum class TripStatus { kComplete, kTimeout, kForced, kLate };
const char* TripStatusName(TripStatus status);
std::optional<TripStatus> ParseTripStatus(const std::string& name);

struct ConsumedArrival {
  std::string id;      // ArrivalId
  std::string member;  // the member pattern (or the count prefix) it satisfied
  std::string tag;     // the marker's tag (see core/keys.h)
  Arrival arrival;
  // The marker's key carries the arrival's details (core/marker_details.h):
  // with `arrival`, this names the marker key to delete once consumed.
  bool details_in_key = false;
};

struct TripRecord {
  int format = 2;  // kStateFormat when written; 1 for records of format 1 (they carry no field)
  std::string barrier;
  std::string instance;
  Bindings bindings;
  int64_t generation = 0;
  // 0 until someone deleted the instance's trip records by hand; then each
  // restart of the generation counter is a new epoch (docs/PROTOCOL.md, "Epochs").
  int64_t epoch = 0;
  // A first generation claimed without reading `_epochs/B/I`: its finisher
  // settles the epoch there, before any action runs (TripFinisher::EpochOf),
  // and `epoch` above means nothing until then. Records that carry an epoch
  // (any later generation, and first ones claimed before this) leave it false.
  bool epoch_from_witness = false;
  TripStatus status = TripStatus::kComplete;
  TimeMs claimed_at = 0;
  std::string claimed_by;   // unique per claim attempt: "<worker>/<nonce>"
  std::string trigger;      // the arrival id whose processing claimed it, or "sweep"
  TimeMs first_arrival_at = 0;  // store time of the generation's earliest marker
  std::vector<ConsumedArrival> arrivals;
  std::vector<std::string> missing;  // members (rendered) missing on timeout or when forced
  // A forced trip: who forced it and why (empty otherwise).
  std::string forced_by;
  std::string reason;

  // "barrier/instance/generation" in epoch 0, "barrier/instance/generation@epoch"
  // after: travels with every action, and never repeats. A late record's adds
  // "/late/<id>" of its (first) arrival.
  std::string IdempotencyKey() const;
};

// What the engine tells its caller about a trip it finished.
struct TripSummary {
  std::string barrier;
  std::string instance;
  int64_t generation = 0;
  TripStatus status = TripStatus::kComplete;
  bool redriven = false;  // finished someone else's unfinished trip
  size_t objects = 0;
  TimeMs first_arrival_at = 0;  // the trip record's: first arrival to claim is the trip latency
  TimeMs claimed_at = 0;
};

std::string SerializeTrip(const TripRecord& trip);
Result<TripRecord> ParseTrip(const std::string& json_text);

// A tombstone's body: the generation whose record listed the arrival, and
// its epoch. (If that generation turned out void, its `.stale` verdict says
// so, and a later generation takes the tombstone over.) Tombstones written
// before the epoch was recorded have none (nullopt): their generation alone
// names them.
struct Tombstone {
  int64_t generation = 0;
  std::optional<int64_t> epoch;
};
std::string SerializeTombstone(const Tombstone& tombstone);
Result<Tombstone> ParseTombstone(const std::string& json_text);

// The body of `_epochs/B/I`: the epoch whose generation counter was started
// last (written before the first generation of an epoch runs its actions),
// and the claim (`TripRecord::claimed_by`) of that epoch's first generation,
// which lets its finishers recognise the witness as theirs. Witnesses
// written before the claim was recorded have none.
struct EpochWitness {
  int64_t epoch = 0;
  std::string claimed_by;
};
std::string SerializeEpochWitness(const EpochWitness& witness);
Result<EpochWitness> ParseEpochWitness(const std::string& json_text);

// The "format" of a state object that carries one (the P/_format stamp, an
// open index written by format 2); 0 when the body has none or is no JSON
// object (format 1's open index was empty).
int ParseFormatStamp(const std::string& body);

// The body of `t/<gen>.stale`, the verdict of a generation whose record
// listed stale duplicates: their ids (earlier generations had consumed them,
// their tombstones said so), and whether what was left failed to complete
// the generation (void: it consumed nothing).
struct StaleVerdict {
  std::vector<std::string> ids;
  bool void_trip = false;
};
std::string SerializeStale(const StaleVerdict& verdict);
Result<StaleVerdict> ParseStale(const std::string& json_text);

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
  // The generation was claimed with arrivals that turned out to be stale
  // duplicates and the rest did not complete it: it consumed nothing, ran no
  // action, and the next generation waits for new arrivals.
  bool void_trip = false;
  std::vector<Action> actions;
};

std::string SerializeDone(const DoneRecord& done);
// Never fails: a body that is not a JSON object (records written before the
// body carried reports held only the worker id) is taken as `by`.
DoneRecord ParseDone(const std::string& body);

// The body of `t/<gen>.failed-<n>`: attempt n of finishing the trip (0: the
// claimant's) failed, and why. Written once by whoever held that attempt.
struct FailureNote {
  int attempt = 0;
  std::string by;  // worker id
  TimeMs at = 0;
  std::string error;  // the action's (or the store's) error, at most kMaxFailureError bytes
  static constexpr size_t kMaxFailureError = 1000;
};

std::string SerializeFailure(const FailureNote& note);
// Never fails: a body that is not a JSON object is taken as the error.
FailureNote ParseFailure(const std::string& body);

// The manifest handed to actions: barrier, instance, generation, status,
// idempotency key, vars, every consumed object, missing members.
std::string ManifestJson(const TripRecord& trip);

}  // namespace eb
