// What `watch` has already fed to the engine: key -> version of the last file
// whose arrival was recorded successfully. On restart only files that are new
// or changed since are submitted again, instead of every file still in the
// folder. That is cheaper, and it matters for cyclic barriers: a consumed
// arrival older than the retention window (state.retention, 15 days by default) is no longer
// recognised as consumed, so re-submitting old files after that would count them again.
//
// Losing the journal, or its newest entries, is harmless: a file submitted
// again is a duplicate arrival within the retention window. It lives in the
// state store as one object, rewritten when it changed (fine up to ~10^5
// files), and is tied to a fingerprint of the configuration: under another
// configuration every file is submitted again, since it may count for a
// barrier that did not exist before.
#pragma once

#include <set>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "core/store.h"

namespace eb {

class SeenJournal {
 public:
  // `store` must outlive the journal. `key` is where it is kept in the store.
  SeenJournal(ObjectStore& store, std::string key, std::string fingerprint)
      : store_(store), key_(std::move(key)), fingerprint_(std::move(fingerprint)) {}

  // Reads the stored journal. Missing, unreadable, or written under another
  // fingerprint: starts empty (and says why in the returned status, which is
  // informational only; the journal is usable either way).
  Status Load();

  bool Seen(const std::string& key, const std::string& version) const;
  void Record(const std::string& key, const std::string& version);
  // After a full scan: forgets keys that are no longer there.
  void Retain(const std::set<std::string>& present);

  size_t size() const { return files_.size(); }
  bool dirty() const { return dirty_; }
  // Writes the journal if it changed since the last Load or Save.
  Status Save();

 private:
  ObjectStore& store_;
  std::string key_;
  std::string fingerprint_;
  std::unordered_map<std::string, std::string> files_;
  bool dirty_ = false;
};

}  // namespace eb
