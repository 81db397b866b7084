// Reading an instance's trips: which generations are claimed, finished, being
// re-driven, and the records a protocol step needs. Shared by the engine
// (with caches: records and stale lists are immutable) and `status` (which
// uses the pure ScanTripKeys on its own listing).
//
// Nothing here reads history: one LIST of t/ from the `head` hint (at most
// ~2 x head_every keys), then only the records of unfinished trips.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "core/engine_context.h"
#include "core/keys.h"
#include "core/store.h"
#include "core/trip.h"

namespace eb {

// What the keys under t/ say about one generation.
struct GenerationKeys {
  bool record = false;       // t/<gen>
  bool done = false;         // t/<gen>.done
  bool stale = false;        // t/<gen>.stale
  int attempts = 0;          // highest t/<gen>.attempt-<n>
  int reruns = 0;            // highest t/<gen>.rerun-<n> (operator reruns of a finished trip)
  int failures = 0;          // t/<gen>.failed-<n> keys: attempts that failed to finish it
  int last_failed = -1;      // highest such n (0: the claimant's attempt); -1 when none
  int64_t epoch = 0;         // t/<gen>.epoch-<e> (none: epoch 0)
  TimeMs last_activity = 0;  // newest write among them (store time)
};

// Pure: the generations in a listing of t/ (other keys are skipped).
std::map<int64_t, GenerationKeys> ScanTripKeys(const KeyLayout& layout,
                                               const std::vector<ObjectInfo>& listed);

struct UnfinishedTrip {
  int64_t generation = 0;
  int attempts = 0;
  TimeMs last_activity = 0;
  bool stale_listed = false;  // its verdict (t/<gen>.stale) exists
  int last_failed = -1;       // highest attempt known to have failed (t/<gen>.failed-<n>); -1 none
};

// Re-drive backoff (docs/PROTOCOL.md, "Re-drive and the sweeper"): attempt
// `attempt` (>= 1) of an unfinished trip waits lease x 2^(attempt-1) after the
// trip's last activity (its newest key: record, attempt marker, failure
// note), at most max(lease, kMaxRedriveBackoffMs).
inline constexpr TimeMs kMaxRedriveBackoffMs = 3'600'000;
TimeMs RedriveBackoffMs(TimeMs lease_ms, int attempt);
// When the next attempt of a trip with `attempts` re-drives so far is due.
inline TimeMs RedriveDueAt(TimeMs lease_ms, int attempts, TimeMs last_activity) {
  return last_activity + RedriveBackoffMs(lease_ms, attempts + 1);
}

// TripView::last_epoch of an unfinished first generation whose epoch its
// finisher settles (TripRecord::epoch_from_witness) and no key says yet.
inline constexpr int64_t kEpochUnsettled = -1;

struct TripView {
  int64_t last_generation = 0;  // highest claimed generation (0: none ever)
  int64_t done_upto = 0;        // every generation <= this is finished
  int64_t last_epoch = 0;  // the epoch of last_generation (TripRecord::epoch), or kEpochUnsettled
  // The store time of the newest write of a generation this listing shows
  // done (0: none): a LIST of a/ sent before it may show markers that
  // generation consumed and deleted since.
  TimeMs last_done_at = 0;
  std::vector<UnfinishedTrip> unfinished;
  // Ids listed by the records of unfinished trips: a claimant never lists
  // them again while the trip that listed them may still consume them.
  std::unordered_set<std::string> in_flight;
};

// The verdict `t/<generation>.stale` as the store holds it now, or nullopt
// when there is none (no stale duplicate listed, not settled yet, or
// compacted). TripLog::ReadVerdict caches it; the sweep reads it uncached.
Result<std::optional<StaleVerdict>> ReadStoredVerdict(const EngineContext& ctx,
                                                      const std::string& barrier,
                                                      const std::string& instance,
                                                      int64_t generation);

class TripLog {
 public:
  explicit TripLog(const EngineContext& ctx) : ctx_(ctx) {}

  // LIST t/ from the head hint; reads every unfinished record (cached). A
  // process without a hint for the instance lists one page of t/ from the
  // start first; `whole_trips`, every key under t/ as the caller's own
  // listing of the instance showed it, stands in for that page.
  Result<TripView> Load(const std::string& barrier, const std::string& instance,
                        std::optional<std::vector<ObjectInfo>> whole_trips = std::nullopt);
  // Whether this process holds a hint for the instance (it listed its t/).
  bool KnowsInstance(const std::string& barrier, const std::string& instance) const;

  // The record of `generation` (cached: immutable). FailedPrecondition for a
  // record of state format 1, naming `eventbarrier migrate`.
  Result<const TripRecord*> Read(const std::string& barrier, const std::string& instance,
                                 int64_t generation);
  // Reads the record again (a claim whose answer was lost: whose is it?).
  Result<const TripRecord*> ReadFresh(const std::string& barrier, const std::string& instance,
                                      int64_t generation);
  // A record this process wrote.
  void Remember(const TripRecord& record);

  // The verdict `t/<generation>.stale` (cached: immutable), or nullopt when
  // there is none (the generation listed no stale duplicate, or is not
  // settled yet).
  Result<std::optional<StaleVerdict>> ReadVerdict(const std::string& barrier,
                                                  const std::string& instance, int64_t generation);

  // The generation below which everything is done, from `head` (cached, and
  // raised by every Load to what its listing showed done, whoever finished it).
  Result<int64_t> DoneHint(const std::string& barrier, const std::string& instance);
  void SetDoneHint(const std::string& barrier, const std::string& instance, int64_t generation);
  // Drops the hint, records and verdicts cached for the instance (its trip
  // records were deleted by hand: they are no longer what was cached).
  void Forget(const std::string& barrier, const std::string& instance);

  // Empties the record cache once it outgrew its bound (records are
  // immutable: emptying costs a re-read, never correctness). Call only where
  // no evaluation holds a pointer into it.
  void Trim();
  size_t CachedObjects() const { return records_.size() + verdicts_.size(); }
  static constexpr size_t kMaxCachedRecords = 256;

 private:
  const EngineContext& ctx_;
  // Drops what is cached of the instance's records and verdicts that
  // `listed` (its LIST of t/ after the record of `hint`) covers, unless the
  // listing shows the very object that was cached (the same LastModified as
  // when a listing last showed it). Records and verdicts are immutable until
  // someone deletes the instance's folder by hand and a new generation
  // counter writes the same keys again: a cache that outlived that would
  // re-drive the old counter's trip as the new one's.
  void DropChanged(const std::string& barrier, const std::string& instance, int64_t hint,
                   const std::vector<ObjectInfo>& listed);
  // Whether the object listed at `listed` is the one cached under `key`: its
  // stamp, or for a record this process claimed, its claim time.
  bool Shows(const std::string& key, const TripRecord& cached, TimeMs listed);
  bool Shows(const std::string& key, const StaleVerdict& cached, TimeMs listed);

  std::map<std::string, TripRecord> records_;     // full key -> immutable record
  std::map<std::string, StaleVerdict> verdicts_;  // full key -> immutable verdict
  // Full key -> its LastModified in the listing that last showed it cached
  // (absent: cached from a write or a GET, not seen in a listing since).
  std::map<std::string, TimeMs> listed_stamps_;
  std::map<std::string, int64_t> done_hint_;  // instance prefix -> all gens <= n done
};

// The error for state written in format 1 (a consumed window in every record).
Status NeedsMigration(const std::string& what);

}  // namespace eb
