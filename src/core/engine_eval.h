// The protocol for one barrier instance (internal to the engine; see docs/PROTOCOL.md).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/engine.h"

namespace eb {

class Engine::Evaluator {
 public:
  // `trigger` is the arrival id being processed, or "sweep".
  Evaluator(Engine& engine, const BarrierSpec& spec, std::string instance, Bindings bindings,
            std::string trigger);

  struct RunOptions {
    // Markers already listed by the caller (saves one LIST on the arrival path).
    std::optional<std::vector<ObjectInfo>> markers;
    // Load trip records even if the markers cannot complete a generation
    // (a redelivered event may have to finish its own interrupted trip).
    bool always_load_trips = false;
    // Sweeper: re-drive by lease, trip overdue generations with status timeout.
    bool sweeping = false;
  };

  // Evaluates the instance until no further generation can trip now.
  Status Run(RunOptions options, std::vector<TripSummary>* trips);

  // After Run: true when the instance can never trip again (a once-mode
  // instance whose trip is done), so the sweeper may drop it from the index.
  bool finished() const { return finished_; }
  // After Run: markers still in a/ (for index maintenance).
  size_t open_markers() const { return open_markers_; }

  // Deletes done trip records (never the newest), attempt markers and
  // consumed markers older than the retention window. Returns objects deleted.
  Result<int> Compact();

 private:
  struct Undone {
    TripRecord record;
    int attempts = 0;
    TimeMs last_activity = 0;
  };
  struct TripView {
    int64_t last_generation = 0;  // highest claimed generation (0: none ever)
    int64_t done_upto = 0;        // every generation <= this is done
    std::vector<Undone> undone;
    std::set<std::string> consumed;  // ids in trips that are not done yet
  };
  struct Candidate {
    ObjectInfo info;
    StateKey key;
  };
  enum class ClaimOutcome { kWon, kLost, kRetry };

  Result<TripView> LoadTrips();
  Result<int64_t> DoneHint();
  Result<const TripRecord*> ReadTrip(int64_t generation);
  Status RedriveEligible(TripView& view, bool sweeping, std::vector<TripSummary>* trips, bool* any);
  std::vector<Candidate> Unconsumed(const std::vector<ObjectInfo>& markers, const TripView& view) const;
  Status DropStale(const TripView& view, std::vector<Candidate>* candidates);
  bool Covers(const std::vector<Candidate>& candidates) const;
  std::vector<std::string> Missing(const std::vector<Candidate>& candidates) const;
  Result<ClaimOutcome> Claim(const TripView& view, const std::vector<Candidate>& candidates,
                             TripStatus status, std::vector<std::string> missing,
                             TripRecord* claimed);
  Status Finish(const TripRecord& record, int64_t done_upto, bool redriven,
                std::vector<TripSummary>* trips);
  Status RetryPut(const std::string& key, const std::string& body, bool if_absent);
  Status RetryDelete(const std::string& key);

  Engine& e_;
  const BarrierSpec& spec_;
  std::string instance_;
  Bindings bindings_;
  std::string trigger_;
  std::set<std::string> member_tags_;
  bool finished_ = false;
  size_t open_markers_ = 0;
};

}  // namespace eb
