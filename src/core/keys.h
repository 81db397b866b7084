// The state key layout, in one pure module (after leveldb's db/filename.h).
// Under the state prefix P (default ".eventbarrier/"), for barrier B and instance I:
//
//   P B/I/a/<tag>.<id>            arrival marker (tag: which member or key; id: the event)
//   P B/I/a/<shard>/<tag>.<id>    the same in a barrier wider than the shard size (core/shards.h)
//   P B/I/h/<gen>/<shard>.<count> shard hint: <count> distinct members of <shard> were
//                                 present and unconsumed when <gen> was the next generation
//   P B/I/c/<id>                  consumed marker (the arrival moved out of a/)
//   P B/I/t/<gen>                 trip record, gen zero-padded to 10 digits
//   P B/I/t/<gen>.done            the trip's actions succeeded and its markers moved
//   P B/I/t/<gen>.attempt-<n>     re-drive claim number n (4 digits)
//   P B/I/w/<gen>.<nonce>         consumed-window checkpoint written with trip <gen>
//   P B/I/head                    hint: every generation <= the number inside is done
//   P _open/B/I                   index of instances that may have an open generation
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

enum class StateKeyKind { kArrival, kConsumed, kTrip, kTripDone, kTripAttempt, kWindow, kHead, kOpen, kShardHint };

struct StateKey {
  StateKeyKind kind = StateKeyKind::kArrival;
  std::string barrier;
  std::string instance;
  std::string tag;        // kArrival
  std::string id;         // kArrival, kConsumed; the nonce of kWindow
  int64_t generation = 0;  // kTrip, kTripDone, kTripAttempt, kWindow
  int attempt = 0;        // kTripAttempt
  int shard = -1;         // kArrival in a sharded barrier (-1: unsharded layout), kShardHint
  int64_t count = 0;      // kShardHint

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
  std::string ConsumedPrefix(const std::string& barrier, const std::string& instance) const;
  std::string TripPrefix(const std::string& barrier, const std::string& instance) const;
  std::string WindowPrefix(const std::string& barrier, const std::string& instance) const;
  std::string OpenPrefix() const;

  std::string Encode(const StateKey& key) const;
  // Parses a full key under the state prefix; nullopt for anything else.
  std::optional<StateKey> Decode(const std::string& key) const;

  // True if `object_key` lies under the state prefix (such events are ignored).
  bool IsStateKey(const std::string& object_key) const;

 private:
  std::string prefix_;
};

// A marker key's name below the arrival prefix: "<tag>.<id>" or, sharded,
// "<shard>/<tag>.<id>". Sets tag, id and shard of `out` (kind kArrival).
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
