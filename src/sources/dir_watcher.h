// A directory watched for complete files: the narrow interface the embedded
// mode (`eventbarrier watch`) reads files through. The inotify implementation
// lives in inotify_watcher.cc only; tests drive the logic with
// tests/fakes/fake_dir_watcher.h.
//
// "Complete" means closed after writing (IN_CLOSE_WRITE) or moved in
// (IN_MOVED_TO), and at that moment not open for writing by anyone: a file is
// never reported half-written. Files found by a scan pass the same last test.
// A file that fails it is looked at again for about a second (the kernel
// announces a close an instant before the writer lets go of the file); one
// that stays open is reported by its own close event later.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace eb {

// The stat(2) facts that tell one version of a file from another.
struct FileVersion {
  int64_t size = 0;
  int64_t mtime_ns = 0;  // nanoseconds since the epoch
  uint64_t inode = 0;
};

struct FileEvent {
  std::string key;  // path relative to the root, '/'-separated, no leading '/'
  FileVersion version;
  bool from_scan = false;  // found by listing a directory, not announced by an event
};

struct WatchBatch {
  std::vector<FileEvent> files;  // each key at most once
  // `files` is a full scan (at start, or after the kernel's event queue
  // overflowed): a key that is not in it is no longer there.
  bool full_scan = false;
  bool interrupted = false;  // the interrupt fd became readable
};

class DirWatcher {
 public:
  virtual ~DirWatcher() = default;

  // Starts watching and returns every complete file already there (a full
  // scan). Every directory is watched before it is listed, so no file is
  // missed: it is in the scan, or its event follows, or both (duplicates are
  // for the caller to fold). Call once.
  virtual Result<WatchBatch> Start() = 0;

  // Waits up to `timeout_ms` for files that became complete, in new
  // directories too (each is watched, then listed). Returns early with
  // `interrupted` when the interrupt fd is readable; an empty batch on timeout.
  virtual Result<WatchBatch> Next(int timeout_ms) = 0;

  // The file at `key` now, if it is a regular file (for `stable_for`: has it
  // changed, is it still there?); nullopt if it is gone or not a file.
  virtual std::optional<FileEvent> Stat(const std::string& key) = 0;
};

struct InotifyWatcherOptions {
  std::string root;  // an existing directory
  // Relative directory paths that are neither watched nor listed (the state
  // folder, the folder store's temp files), with everything below them.
  std::vector<std::string> ignore_dirs;
  int interrupt_fd = -1;  // not owned; -1: none
};

// The Linux watcher. Fails if `root` is not a directory or inotify is out of
// watches (fs.inotify.max_user_watches). While it exists, SIGIO is ignored:
// the completeness test takes a read lease for an instant, and a writer
// opening the file in that instant would otherwise kill the process.
Result<std::unique_ptr<DirWatcher>> NewInotifyWatcher(InotifyWatcherOptions options);

}  // namespace eb
