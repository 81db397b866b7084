// The state key layout, in one pure module (after leveldb's db/filename.h).
// Under the state prefix P (default ".eventbarrier/"), for barrier B and instance I:
//
//   P _format                       the state format this prefix holds (kStateFormat)
//   P _open/B/I                     index of instances that may have an open generation
//   P _epochs/B/I                   the instance's generation counter was started (body: in
//                                   which epoch): a counter deleted by hand starts a new epoch
//   P _consumed/B/I/<id>            tombstone: arrival <id> was consumed (body: by which
//                                   generation). One prefix, so a lifecycle rule expires them
//   P B/I/a/<tag>.<id>[.<details>]  arrival marker (tag: which member or key; id: the event;
//                                   details: the manifest fields when they fit,
//                                   core/marker_details.h)
//   P B/I/a/<shard>/<tag>.<id>...   the same in a barrier wider than the shard size (core/shards.h)
//   P B/I/h/<gen>/<shard>.<count>   shard hint: <count> distinct members of <shard> were
//                                   present when <gen> was the next generation
//   P B/I/t/<gen>                   trip record, gen zero-padded to 10 digits
//   P B/I/t/<gen>.attempt-<n>       re-drive claim number n (at least 4 digits: %04d, wider
//                                   past 9,999; read at any width, so old keys stay readable)
//   P B/I/t/<gen>.done              the trip is finished (actions ran, markers deleted)
//   P B/I/t/<gen>.epoch-<e>         generation <gen> belongs to epoch <e> >= 1 (none: epoch 0)
//   P B/I/t/<gen>.failed-<n>        attempt n (0: the claimant's) failed to finish the trip
//                                   (body: when, who, the error); %04d like attempt markers
//   P B/I/t/<gen>.stale             ids the record listed that an earlier generation had
//                                   consumed (stale duplicates): not consumed by <gen>
//   P B/I/t/<gen>.rerun-<n>         an operator ran a finished trip's actions again
//                                   (`eventbarrier rerun`): who, when, why, the reports
//   P B/I/head                      hint: every generation <= the number inside is done
//   P B/I/l/<id>                    the on_late actions ran for late arrival <id> (body: a
//                                   .done-style record: who, when, the actions' reports)
//
// Instance names are the bound variable values, sorted by variable name,
// percent-encoded, joined with ','. A barrier without variables has instance "_".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/pattern.h"

namespace eb {

// The version of the state layout and of every object the engine writes.
// Format 1 (before 2026-12) carried a consumed window in its trip records;
// `eventbarrier migrate` converts it.
constexpr int kStateFormat = 2;
// The body of objects whose key says everything (the format stamp, the open
// index, shard hints): only the format they were written in.
inline constexpr const char* kFormatBody = "{\"format\":2}";

enum class StateKeyKind {
  kArrival,
  kTombstone,
  kTrip,
  kTripDone,
  kTripAttempt,
  kTripStale,
  kTripRerun,
  kTripFailed,
  kHead,
  kOpen,
  kEpoch,
  kTripEpoch,
  kShardHint,
  kLateRun,
  kFormat,
};

struct StateKey {
  StateKeyKind kind = StateKeyKind::kArrival;
  std::string barrier;
  std::string instance;
  std::string tag;         // kArrival
  std::string id;          // kArrival, kTombstone, kLateRun
  std::string details;     // kArrival: the encoded manifest fields, or empty
  int64_t generation = 0;  // kTrip*, kShardHint
  int attempt = 0;         // kTripAttempt, kTripRerun, kTripFailed
  int shard = -1;          // kArrival in a sharded barrier (-1: unsharded layout), kShardHint
  int64_t count = 0;       // kShardHint
  int64_t epoch = 0;       // kTripEpoch

  static StateKey Arrival(std::string barrier, std::string instance, std::string tag, std::string id,
                          int shard = -1, std::string details = "");
  static StateKey Tombstone(std::string barrier, std::string instance, std::string id);
  static StateKey Trip(std::string barrier, std::string instance, int64_t generation);
  static StateKey TripDone(std::string barrier, std::string instance, int64_t generation);
  static StateKey TripAttempt(std::string barrier, std::string instance, int64_t generation, int attempt);
  static StateKey TripStale(std::string barrier, std::string instance, int64_t generation);
  static StateKey TripRerun(std::string barrier, std::string instance, int64_t generation, int rerun);
  static StateKey TripFailed(std::string barrier, std::string instance, int64_t generation,
                             int attempt);
  static StateKey Head(std::string barrier, std::string instance);
  static StateKey Open(std::string barrier, std::string instance);
  static StateKey Epoch(std::string barrier, std::string instance);
  static StateKey TripEpoch(std::string barrier, std::string instance, int64_t generation, int64_t epoch);
  static StateKey ShardHint(std::string barrier, std::string instance, int64_t generation, int shard,
                            int64_t count);
  static StateKey LateRun(std::string barrier, std::string instance, std::string id);
  static StateKey Format();

  bool operator==(const StateKey&) const = default;
};

class KeyLayout {
 public:
  // `state_prefix` ends with '/' (or is empty: the store root).
  explicit KeyLayout(std::string state_prefix);

  const std::string& state_prefix() const { return prefix_; }

  std::string InstancePrefix(const std::string& barrier, const std::string& instance) const;
  std::string ArrivalPrefix(const std::string& barrier, const std::string& instance) const;
  std::string ArrivalShardPrefix(const std::string& barrier, const std::string& instance, int shard) const;
  // Every shard hint of the instance, and those of one generation.
  std::string HintPrefix(const std::string& barrier, const std::string& instance) const;
  std::string HintGenerationPrefix(const std::string& barrier, const std::string& instance,
                                   int64_t generation) const;
  std::string TripPrefix(const std::string& barrier, const std::string& instance) const;
  // Every tombstone (the prefix a lifecycle rule names), and those of one instance.
  std::string TombstoneRoot() const;
  std::string TombstonePrefix(const std::string& barrier, const std::string& instance) const;
  std::string OpenPrefix() const;
  // Format 1's consumed-window checkpoints (read and deleted only by `migrate`).
  std::string LegacyWindowPrefix(const std::string& barrier, const std::string& instance) const;

  std::string Encode(const StateKey& key) const;
  // Parses a full key under the state prefix; nullopt for anything else.
  std::optional<StateKey> Decode(const std::string& key) const;

  // True if `object_key` lies under the state prefix (such events are ignored).
  bool IsStateKey(const std::string& object_key) const;

 private:
  std::string prefix_;
};

// A marker key's name below the arrival prefix: "<tag>.<id>[.<details>]" or,
// sharded, "<shard>/" before it. Sets tag, id, details and shard of `out`
// (kind kArrival).
bool ParseArrivalName(std::string_view name, StateKey* out);

// Instance name from bindings (see above); "_" when there are none.
std::string InstanceName(const Bindings& bindings);
// The inverse of InstanceName, given the barrier's sorted variable names.
std::optional<Bindings> ParseInstanceName(const std::string& instance,
                                          const std::vector<std::string>& variables);

// Percent-encodes every byte outside [A-Za-z0-9-_~] and '.' where it would
// start a segment, so the result is always one safe key segment.
std::string EncodeSegment(const std::string& value);
std::optional<std::string> DecodeSegment(const std::string& segment);

// Short stable tag for a member pattern or an object key (12 hex of SHA-256).
std::string MemberTag(const std::string& text);

}  // namespace eb
