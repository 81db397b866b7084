// The object store the barrier protocol runs on: the five calls S3, Ceph RGW,
// MinIO and R2 all implement the same way. Implementations: stores/memory,
// stores/folder, stores/s3; fault-injecting and counting wrappers in tests/fakes.
//
// Keys are '/'-separated, relative to the store's root (an S3 store adds its
// bucket and base prefix). All calls are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/server_time.h"
#include "base/status.h"

namespace eb {

struct ObjectInfo {
  std::string key;
  int64_t size = 0;
  TimeMs last_modified = 0;  // the store's clock
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // sorted by key (byte order)
  // With a delimiter: each distinct `prefix + rest-up-to-and-including-the-
  // delimiter` of the keys rolled up, in byte order, instead of those keys.
  std::vector<std::string> common_prefixes;
  // Non-empty when more keys follow: pass it back as `continuation`.
  std::string next_continuation;
};

struct ListOptions {
  std::string prefix;
  std::string start_after;   // only keys > start_after
  std::string continuation;  // from a previous page
  // Non-empty: keys with `delimiter` after the prefix are not listed one by
  // one but rolled up into ListPage::common_prefixes (S3's "folders"). A
  // page's max_keys counts both.
  std::string delimiter;
  int max_keys = 1000;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // On success the object's body. NotFound when there is no such key.
  virtual Result<std::string> Get(const std::string& key) = 0;

  // Creates or replaces `key`.
  virtual Status Put(const std::string& key, const std::string& body) = 0;

  // Creates `key` only if it does not exist (S3 `If-None-Match: *`).
  // AlreadyExists when it exists (someone else won: not an error for callers
  // that race on purpose); Conflict when two conditional writes collided (retry).
  // A store that retries a write whose answer was lost answers Ok, not
  // AlreadyExists, when what it then finds is the body it wrote (a claimant
  // that loses stops without reading the winner's record).
  virtual Status PutIfAbsent(const std::string& key, const std::string& body) = 0;

  // One page of keys under `options.prefix`, in byte order.
  virtual Result<ListPage> List(const ListOptions& options) = 0;

  // Deletes `key`; deleting a missing key is ok.
  virtual Status Delete(const std::string& key) = 0;

  // Deletes every key in `keys` (at most 1000); missing keys are ok. One
  // request where the store has a bulk delete (S3 DeleteObjects); by default
  // one Delete per key.
  virtual Status DeleteMany(const std::vector<std::string>& keys);

  // Get and PutIfAbsent of many keys at once (a trip's tombstones, the rare
  // marker bodies a claimant reads): results in the order of the input, each
  // with the meaning of the single call. Stores that talk to a network run
  // them concurrently (bounded); by default one after another.
  virtual std::vector<Result<std::string>> GetMany(const std::vector<std::string>& keys);
  virtual std::vector<Status> PutIfAbsentMany(const std::vector<std::pair<std::string, std::string>>& items);

  // One List per request, answers in the order of the input: concurrently
  // where the store talks to a network, by default one after another.
  virtual std::vector<Result<ListPage>> ListMany(const std::vector<ListOptions>& requests);

  // The offset of the store's clock from this machine's, when the store
  // learns it from its answers (S3: the Date header); nullptr when the store
  // keeps this machine's time (memory, folder). The engine judges leases,
  // timeouts and retention in the store's time (base/server_time.h).
  virtual const ServerTimeOffset* ServerTime() const { return nullptr; }

  // A short description for logs, e.g. "folder:/var/lib/eb" (never a secret).
  virtual std::string Describe() const = 0;
};

// Builds one ListPage for a store that holds its keys in byte order (the
// memory and folder stores): offer every key > StartAfter() under the prefix
// in order until Add answers false. Applies max_keys and the delimiter, with
// the continuation a delimited page needs (after a folder, skip its keys).
class ListPageBuilder {
 public:
  explicit ListPageBuilder(const ListOptions& options);
  // Keys up to this one are not wanted (the continuation or start_after).
  const std::string& StartAfter() const { return after_; }
  // False when the page is full: stop offering.
  bool Add(ObjectInfo object);
  ListPage Finish() { return std::move(page_); }

 private:
  const ListOptions& options_;
  std::string after_;
  int limit_;
  int entries_ = 0;
  std::string last_entry_;  // the last key or folder on the page
  ListPage page_;
};

// The oldest LastModified among `objects` (a timeout counts from the oldest
// marker); 0 for none.
TimeMs OldestModified(const std::vector<ObjectInfo>& objects);

// Every key under `prefix` (all pages), keys only > start_after.
Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, const std::string& prefix,
                                        const std::string& start_after = "");

// Every key under `prefix`, as ListAll, for a prefix whose keys are mostly in
// the folders `prefix + dir` for each of `dirs` (a sharded barrier's marker
// folders): those folders and one delimited LIST of `prefix` (the keys
// outside any folder, and folders not in `dirs`, which are then listed too)
// are listed concurrently through ListMany, so the wall time is that of the
// largest folder instead of the sum of all. `dirs` end with '/'.
Result<std::vector<ObjectInfo>> ListAllFolders(ObjectStore& store, const std::string& prefix,
                                               const std::vector<std::string>& dirs);

// Retries `op` while it answers Conflict (409: two conditional writes
// collided), up to `attempts` calls, sleeping on `clock` between them with
// exponential backoff and full jitter (10 ms doubling, at most 1 s). Only the
// protocol's own race is retried here: the S3 client already retries
// Unavailable (5xx, timeouts) with its own backoff, and retrying those again
// on top would multiply the requests of one call.
TimeMs ConflictBackoffMs(int attempt);
template <typename Op>
auto RetryConflicts(int attempts, Clock& clock, Op op) -> decltype(op()) {
  auto r = op();
  for (int i = 1; i < attempts; ++i) {
    bool conflict;
    if constexpr (std::is_same_v<decltype(r), Status>) {
      conflict = r.code() == Code::kConflict;
    } else {
      conflict = !r.ok() && r.status().code() == Code::kConflict;
    }
    if (!conflict) break;
    clock.SleepMs(ConflictBackoffMs(i));
    r = op();
  }
  return r;
}

}  // namespace eb
