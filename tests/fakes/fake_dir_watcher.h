// A DirWatcher the test scripts: the initial scan and each batch Next returns.
// Records how Next was called (the waits), so tests can check the timer logic.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "sources/dir_watcher.h"

namespace eb::test {

class FakeDirWatcher : public DirWatcher {
 public:
  // Files present at Start.
  std::vector<FileEvent> initial;
  // Batches handed out by Next, in order; an empty batch after they run out.
  std::deque<WatchBatch> batches;
  // Called by every Next with its timeout (e.g. to advance a fake clock).
  std::function<void(int timeout_ms)> on_wait;
  // If set, Next fails with it.
  Status fail;

  Result<WatchBatch> Start() override {
    ++starts;
    WatchBatch b;
    b.full_scan = true;
    b.files = initial;
    return b;
  }
  Result<WatchBatch> Next(int timeout_ms) override {
    waits.push_back(timeout_ms);
    if (!fail.ok()) return fail;
    if (on_wait) on_wait(timeout_ms);
    if (batches.empty()) return WatchBatch{};
    WatchBatch b = std::move(batches.front());
    batches.pop_front();
    return b;
  }

  // What Stat answers: the files on "disk" by key (a missing key is gone).
  std::map<std::string, FileEvent> on_disk;
  std::optional<FileEvent> Stat(const std::string& key) override {
    auto it = on_disk.find(key);
    if (it == on_disk.end()) return std::nullopt;
    return it->second;
  }

  int starts = 0;
  std::vector<int> waits;
};

inline FileEvent File(const std::string& key, int64_t mtime_ns = 1'700'000'000'000'000'000, uint64_t inode = 1,
                      int64_t size = 10) {
  FileEvent f;
  f.key = key;
  f.version = {size, mtime_ns, inode};
  return f;
}

inline WatchBatch Batch(std::vector<FileEvent> files) {
  WatchBatch b;
  b.files = std::move(files);
  return b;
}

}  // namespace eb::test
