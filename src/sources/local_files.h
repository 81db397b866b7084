// How a local file becomes an arrival (pure), and which keys the watcher
// leaves alone.
//
// Identity: bucket "local", the key (the path relative to the watched
// folder) and a version derived from stat(2) facts, "i<inode>-m<mtime_ns>-s<size>",
// carried as the arrival's version_id (so ArrivalId uses it) and hashed into
// its ETag. Hence:
//   - a rescan of an unchanged file, and the same file reported twice by
//     inotify, are the SAME arrival (a duplicate, a no-op);
//   - a file written again (new mtime), replaced by rename (new inode) or
//     resized is a NEW arrival, like a re-upload to S3.
// Limit: rewriting a file in place with the same size within one tick of the
// filesystem's timestamp clock (a few ms at worst) is indistinguishable from
// not rewriting it; the two writes then count once. The ETag names the
// version, not the content (hashing every file on every rescan would cost
// more than it tells).
#pragma once

#include <string>

#include "core/arrival.h"
#include "sources/dir_watcher.h"

namespace eb {

inline constexpr const char* kLocalBucket = "local";

// "i<inode>-m<mtime_ns>-s<size>".
std::string LocalFileVersion(const FileVersion& version);

// The arrival for `file`: ObjectCreated:Put, source "local", event time = mtime.
Arrival LocalFileArrival(const FileEvent& file, const std::string& bucket = kLocalBucket);

// True if `key` fits `key_template`, where each "{name}" stands for one or more
// characters other than '/' ("ready/{date}/_SUCCESS.json", "out/{barrier}-{generation}.json").
// Used to skip the manifests the watcher itself writes into the folder.
bool MatchesKeyTemplate(const std::string& key_template, const std::string& key);

}  // namespace eb
