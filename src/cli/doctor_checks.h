// `eventbarrier doctor`: does a store keep the promises the barrier protocol
// relies on? Each check writes under a scratch prefix of its own, measures one
// promise and says what breaks if it does not hold:
//
//   put-if-absent     a second PUT-if-absent of a key gets AlreadyExists (S3: 412),
//                     and the first body stays
//   racers            R concurrent PUT-if-absent on one key, for K keys: exactly one
//                     winner each, and GET returns the winner's body
//   list-after-write  new keys are listed at once
//   list-order        keys come back in byte order (UTF-8, '/', ' ', '+', ...)
//   list-pagination   N > 1,000 keys through continuation, each exactly once
//   list-start-after  start-after skips exactly the keys <= it
//   list-after-delete a deleted key is neither listed nor readable
//   bulk-delete       DeleteMany removes 1,000 keys in one call
//   clock             server clock (Date, LastModified) against the local clock
//   permissions       every store call the engine makes, with the IAM action
//                     that allows it when denied; the configured actions' IAM
//                     actions (listed, not exercised: that would send messages)
//   cleanup           the scratch prefix is empty afterwards (also after a failure)
//
// Scratch layout under `scratch` (tests that wrap a store rely on it):
//   put/once  race/<kk>  order/<name>  list/<nnnnn>  clock  fresh
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "core/store.h"

namespace eb::cli {

enum class Outcome { kPass, kWarn, kFail, kSkip };
const char* OutcomeName(Outcome outcome);  // "pass", "warn", "fail", "skip"

struct CheckResult {
  std::string name;  // "racers", ...
  Outcome outcome = Outcome::kPass;
  std::string evidence;  // what was measured
  std::string advice;    // what to do about it (when not a pass)
  std::string promise;   // what the protocol loses if this fails
  int64_t elapsed_ms = 0;
};

// The server's view of one object: the Date of a response about `key` and its
// LastModified (both 0 when unknown), e.g. an S3 HEAD.
struct ServerTimes {
  TimeMs date = 0;
  TimeMs last_modified = 0;
};
using ServerTimeProbe = std::function<Result<ServerTimes>(const std::string& key)>;

struct DoctorOptions {
  // Where the checks write; ends with '/'. Deleted (every key under it) at the end.
  std::string scratch;
  int racers = 32;     // concurrent PUT-if-absent per key
  int race_keys = 20;  // keys raced on
  // Bytes of each racer's body: a server that checks, then receives and stores the body,
  // then commits, races for as long as the body takes.
  size_t race_body_bytes = 64 * 1024;
  int list_keys = 1050;  // keys for pagination and bulk delete (> 1,000: two pages)
  int writers = 16;      // threads writing the list keys
  // Above this |skew| (server minus local) timeouts, leases and retention are
  // judged wrong by more than the protocol tolerates (the resume grace: 30 s).
  TimeMs max_clock_skew_ms = 30'000;
  // Optional: the server's Date header (S3 stores); without it only LastModified is compared.
  ServerTimeProbe server_times;
  // IAM actions the configured actions need, "<iam action> (<caller>)"; listed, not exercised.
  std::vector<std::string> action_permissions;
};

struct DoctorReport {
  std::string store;  // Describe()
  std::string scratch;
  std::vector<CheckResult> checks;
  int64_t elapsed_ms = 0;

  // True when no check failed (warnings and skips do not count).
  bool ok() const;
  // "every promise holds" or the promises that would break, one sentence.
  std::string Verdict() const;
};

// Runs every check against `store`; `clock` is the local clock. Never throws;
// store errors become failed checks. Removes what it wrote under options.scratch.
// REQUIRES: options.scratch non-empty and ending with '/'.
DoctorReport RunDoctor(ObjectStore& store, Clock& clock, const DoctorOptions& options);

}  // namespace eb::cli
