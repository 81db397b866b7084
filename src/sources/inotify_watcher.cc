// DirWatcher over inotify(7): the only file that includes <sys/inotify.h>.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "sources/dir_watcher.h"

namespace eb {

namespace {

constexpr uint32_t kDirMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE_SELF |
                              IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::string Join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// False while some process has `path` open for writing. A read lease is
// refused with EAGAIN exactly then. The kernel grants leases only on our own
// files (or with CAP_LEASE) and on some filesystems: where it will not say,
// the file counts as complete (close and move events are exact anyway).
bool NotBeingWritten(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return true;  // gone or unreadable: the caller's lstat decides
  int rc = ::fcntl(fd, F_SETLEASE, F_RDLCK);
  int err = errno;
  if (rc == 0) ::fcntl(fd, F_SETLEASE, F_UNLCK);
  ::close(fd);
  return !(rc != 0 && err == EAGAIN);
}

class InotifyWatcher : public DirWatcher {
 public:
  InotifyWatcher(InotifyWatcherOptions options, int fd) : options_(std::move(options)), fd_(fd) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGIO, &ignore, &old_sigio_);
  }
  ~InotifyWatcher() override {
    ::close(fd_);
    ::sigaction(SIGIO, &old_sigio_, nullptr);
  }

  Result<WatchBatch> Start() override {
    WatchBatch batch;
    batch.full_scan = true;
    std::map<std::string, FileEvent> found;
    EB_RETURN_IF_ERROR(WatchTree("", &found));
    for (auto& [key, f] : found) batch.files.push_back(std::move(f));
    return batch;
  }

  std::optional<FileEvent> Stat(const std::string& key) override {
    struct stat st;
    if (::lstat(PathOf(key).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return EventFor(key, false, st);
  }

  Result<WatchBatch> Next(int timeout_ms) override {
    WatchBatch batch;
    int wait = timeout_ms < 0 ? 0 : timeout_ms;
    if (!rechecks_.empty()) {
      auto first = std::min_element(rechecks_.begin(), rechecks_.end(),
                                    [](const auto& a, const auto& b) { return a.second.due < b.second.due; });
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(first->second.due - Clock::now()).count();
      wait = static_cast<int>(std::clamp<int64_t>(until, 0, wait));
    }
    pollfd fds[2] = {{fd_, POLLIN, 0}, {options_.interrupt_fd, POLLIN, 0}};
    int n = ::poll(fds, options_.interrupt_fd >= 0 ? 2 : 1, wait);
    if (n < 0) {
      if (errno == EINTR) return batch;  // a signal: the caller looks at why
      return Status::Unavailable(std::string("poll: ") + std::strerror(errno));
    }
    if (options_.interrupt_fd >= 0 && (fds[1].revents & POLLIN)) batch.interrupted = true;
    std::map<std::string, FileEvent> found;  // by key: each at most once
    std::set<std::string> candidates;
    if (fds[0].revents & POLLIN) {
      bool overflow = false;
      EB_RETURN_IF_ERROR(ReadEvents(&found, &candidates, &overflow));
      if (overflow) {
        // Events were lost: look at everything again (the caller folds what it has seen).
        found.clear();
        candidates.clear();
        rechecks_.clear();
        batch.full_scan = true;
        EB_RETURN_IF_ERROR(WatchTree("", &found));
      }
    }
    for (const auto& key : candidates) Consider(key, false, 0, &found);
    auto now = Clock::now();
    for (auto it = rechecks_.begin(); it != rechecks_.end();) {
      if (it->second.due > now || candidates.count(it->first) || found.count(it->first)) {
        ++it;
        continue;
      }
      Recheck r = it->second;
      std::string key = it->first;
      it = rechecks_.erase(it);
      Consider(key, r.from_scan, r.tries, &found);
    }
    for (auto& [key, f] : found) batch.files.push_back(std::move(f));
    return batch;
  }

 private:
  bool Ignored(const std::string& rel) const {
    for (const auto& dir : options_.ignore_dirs) {
      if (rel == dir || (rel.size() > dir.size() && rel.compare(0, dir.size(), dir) == 0 && rel[dir.size()] == '/')) {
        return true;
      }
    }
    return false;
  }

  std::string PathOf(const std::string& rel) const { return rel.empty() ? options_.root : options_.root + "/" + rel; }

  // Reports `rel` into `found` if it is a complete regular file. A file still
  // open for writing is looked at again a little later (`tries` so far): the
  // kernel sends IN_CLOSE_WRITE before the closing writer lets go of the file,
  // so a file announced as closed may look open for an instant. One that stays
  // open is left to its own close event, which will come (it is watched).
  void Consider(const std::string& rel, bool from_scan, int tries, std::map<std::string, FileEvent>* found) {
    bool being_written = false;
    if (auto f = Complete(rel, from_scan, &being_written)) {
      rechecks_.erase(rel);
      (*found)[rel] = std::move(*f);
    } else if (being_written && tries < kRecheckTries) {
      rechecks_[rel] = {from_scan, tries + 1, Clock::now() + std::chrono::milliseconds(10 << tries)};
    }
  }

  // The file at `rel` if it is a complete regular file.
  std::optional<FileEvent> Complete(const std::string& rel, bool from_scan, bool* being_written) const {
    std::string path = PathOf(rel);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    if (!NotBeingWritten(path)) {
      *being_written = true;
      return std::nullopt;
    }
    return EventFor(rel, from_scan, st);
  }

  static FileEvent EventFor(const std::string& rel, bool from_scan, const struct stat& st) {
    FileEvent f;
    f.key = rel;
    f.from_scan = from_scan;
    f.version.size = static_cast<int64_t>(st.st_size);
    f.version.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    f.version.inode = static_cast<uint64_t>(st.st_ino);
    return f;
  }

  // Watches `rel`, then lists it (so nothing created in between is missed),
  // recursing into subdirectories; complete files go to `found`.
  Status WatchTree(const std::string& rel, std::map<std::string, FileEvent>* found) {
    if (Ignored(rel)) return Status::Ok();
    std::string path = PathOf(rel);
    int wd = ::inotify_add_watch(fd_, path.c_str(), kDirMask);
    if (wd < 0) {
      if (errno == ENOSPC) {
        return Status::Unavailable("inotify: out of watches at " + path +
                                   " (raise fs.inotify.max_user_watches)");
      }
      if (rel.empty()) return Status::InvalidArgument("cannot watch " + path + ": " + std::strerror(errno));
      return Status::Ok();  // vanished, or not a directory any more
    }
    if (auto old = dirs_.find(rel); old != dirs_.end() && old->second != wd) wds_.erase(old->second);
    wds_[wd] = rel;  // a directory moved within the tree keeps its wd: the path is updated
    dirs_[rel] = wd;
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return Status::Ok();
    std::vector<std::string> subdirs;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string child = Join(rel, name);
      struct stat st;
      if (::lstat(PathOf(child).c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        subdirs.push_back(child);
      } else {
        Consider(child, true, 0, found);
      }
    }
    ::closedir(d);
    for (const auto& sub : subdirs) EB_RETURN_IF_ERROR(WatchTree(sub, found));
    return Status::Ok();
  }

  // Forgets `rel` and every directory below it (moved out of the tree, or away
  // to be re-added under its new name).
  void Unwatch(const std::string& rel) {
    auto drop = [&](std::map<std::string, int>::iterator it) {
      ::inotify_rm_watch(fd_, it->second);
      wds_.erase(it->second);
      return dirs_.erase(it);
    };
    if (auto it = dirs_.find(rel); it != dirs_.end()) drop(it);
    std::string below = rel + "/";
    for (auto it = dirs_.lower_bound(below); it != dirs_.end() && it->first.compare(0, below.size(), below) == 0;) {
      it = drop(it);
    }
  }

  Status ReadEvents(std::map<std::string, FileEvent>* found, std::set<std::string>* candidates, bool* overflow) {
    alignas(inotify_event) char buf[64 * 1024];
    for (;;) {
      ssize_t len = ::read(fd_, buf, sizeof buf);
      if (len < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return Status::Ok();
        return Status::Unavailable(std::string("inotify read: ") + std::strerror(errno));
      }
      for (char* p = buf; p < buf + len;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        p += sizeof(inotify_event) + ev->len;
        if (ev->mask & IN_Q_OVERFLOW) {
          *overflow = true;
          continue;
        }
        auto dir = wds_.find(ev->wd);
        if (dir == wds_.end()) continue;  // a watch we already dropped
        if (ev->mask & IN_IGNORED) {
          if (auto d = dirs_.find(dir->second); d != dirs_.end() && d->second == ev->wd) dirs_.erase(d);
          wds_.erase(dir);
          continue;
        }
        if (ev->mask & IN_DELETE_SELF) {
          if (dir->second.empty()) return Status::NotFound("the watched directory " + options_.root + " was removed");
          continue;
        }
        if (ev->len == 0) continue;
        std::string child = Join(dir->second, ev->name);
        if (ev->mask & IN_ISDIR) {
          if (ev->mask & IN_MOVED_FROM) Unwatch(child);
          if (ev->mask & (IN_CREATE | IN_MOVED_TO)) EB_RETURN_IF_ERROR(WatchTree(child, found));
          continue;
        }
        if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) candidates->insert(child);
      }
    }
  }

  using Clock = std::chrono::steady_clock;
  // 10, 20, ... 640 ms: about 1.3 s in all.
  static constexpr int kRecheckTries = 7;
  struct Recheck {
    bool from_scan = false;
    int tries = 0;
    Clock::time_point due;
  };

  InotifyWatcherOptions options_;
  int fd_;
  std::map<std::string, Recheck> rechecks_;  // files that looked open for writing
  struct sigaction old_sigio_ {};
  std::unordered_map<int, std::string> wds_;  // watch descriptor -> relative dir
  std::map<std::string, int> dirs_;           // relative dir -> watch descriptor
};

}  // namespace

Result<std::unique_ptr<DirWatcher>> NewInotifyWatcher(InotifyWatcherOptions options) {
  while (options.root.size() > 1 && options.root.back() == '/') options.root.pop_back();
  struct stat st;
  if (::stat(options.root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("'" + options.root + "' is not a directory");
  }
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Status::Unavailable(std::string("inotify_init1: ") + std::strerror(errno));
  return std::unique_ptr<DirWatcher>(new InotifyWatcher(std::move(options), fd));
}

}  // namespace eb
