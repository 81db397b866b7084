#include "stores/folder_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "core/pattern.h"

namespace eb {

namespace {

constexpr const char* kTempDir = ".eb-tmp";

Status ErrnoStatus(int err, const std::string& what) {
  std::string message = what + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(message);
  if (err == EEXIST) return Status::AlreadyExists(message);
  if (err == EACCES || err == EPERM || err == EROFS) return Status::PermissionDenied(message);
  return Status::Unavailable(message);
}

// mkdir -p for the parent directories of `path` (relative to nothing: absolute).
Status MakeParents(const std::string& path) {
  for (size_t pos = 1; (pos = path.find('/', pos)) != std::string::npos; ++pos) {
    std::string dir = path.substr(0, pos);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir " + dir);
  }
  return Status::Ok();
}

Status SyncDirOf(const std::string& path) {
  std::string dir = path.substr(0, path.rfind('/'));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open " + dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : ErrnoStatus(err, "fsync " + dir);
}

std::string RandomSuffix() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng(std::random_device{}() ^ (static_cast<uint64_t>(::getpid()) << 32));
  return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + std::to_string(rng());
}

// Collects every regular file under `dir` (whose key prefix is `rel`) into `out`.
void Walk(const std::string& dir, const std::string& rel, const std::string& prefix,
          std::vector<ObjectInfo>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (rel.empty() && name == kTempDir) continue;
    std::string key = rel + name;
    // Prune subtrees that cannot hold a key with the prefix.
    size_t n = std::min(key.size(), prefix.size());
    if (key.compare(0, n, prefix, 0, n) != 0) continue;
    std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      Walk(path, key + "/", prefix, out);
    } else if (S_ISREG(st.st_mode) && key.size() >= prefix.size()) {
      TimeMs mtime = static_cast<TimeMs>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
      out->push_back({key, static_cast<int64_t>(st.st_size), mtime});
    }
  }
  ::closedir(d);
}

}  // namespace

Status FolderStore::ValidateKey(const std::string& key) {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (key.size() > 1024) return Status::InvalidArgument("key longer than 1024 bytes");
  if (key[0] == '/') return Status::InvalidArgument("absolute key '" + key + "' (keys are relative to the store root)");
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("key contains a NUL or control character (byte " + std::to_string(c) + ")");
    }
  }
  for (const std::string& segment : SplitKey(key)) {
    if (segment.empty()) return Status::InvalidArgument("key '" + key + "' has an empty path segment");
    if (segment == "." || segment == "..") {
      return Status::InvalidArgument("key '" + key + "' contains a '" + segment + "' segment (would escape the root)");
    }
    if (segment.size() > 255) return Status::InvalidArgument("key '" + key + "' has a segment longer than 255 bytes");
  }
  if (key == kTempDir || key.rfind(std::string(kTempDir) + "/", 0) == 0) {
    return Status::InvalidArgument("key '" + key + "' is reserved for temporary files");
  }
  return Status::Ok();
}

FolderStore::FolderStore(std::string root, FolderStoreOptions options)
    : root_(std::move(root)), options_(options) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty() || root_[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) != nullptr) root_ = std::string(cwd) + "/" + root_;
  }
  init_status_ = MakeParents(root_ + "/" + kTempDir + "/x");
}

Result<std::string> FolderStore::WriteTemp(const std::string& body) {
  std::string tmp = root_ + "/" + kTempDir + "/" + RandomSuffix();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, "create " + tmp);
  size_t done = 0;
  while (done < body.size()) {
    ssize_t n = ::write(fd, body.data() + done, body.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoStatus(err, "write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (options_.fsync && ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoStatus(err, "fsync " + tmp);
  }
  ::close(fd);
  return tmp;
}

Status FolderStore::Write(const std::string& key, const std::string& body, bool if_absent) {
  EB_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = root_ + "/" + key;
  EB_RETURN_IF_ERROR(MakeParents(path));
  EB_ASSIGN_OR_RETURN(auto tmp, WriteTemp(body));
  int rc = if_absent ? ::link(tmp.c_str(), path.c_str()) : ::rename(tmp.c_str(), path.c_str());
  int err = errno;
  if (if_absent) ::unlink(tmp.c_str());
  if (rc != 0) {
    if (!if_absent) ::unlink(tmp.c_str());
    if (err == EEXIST) return Status::AlreadyExists(key);
    return ErrnoStatus(err, (if_absent ? "link " : "rename ") + path);
  }
  if (options_.fsync) return SyncDirOf(path);
  return Status::Ok();
}

Status FolderStore::Put(const std::string& key, const std::string& body) { return Write(key, body, false); }

Status FolderStore::PutIfAbsent(const std::string& key, const std::string& body) {
  return Write(key, body, true);
}

Result<std::string> FolderStore::Get(const std::string& key) {
  EB_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = root_ + "/" + key;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR || errno == EISDIR) return Status::NotFound(key);
    return ErrnoStatus(errno, "open " + path);
  }
  std::string body;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      if (err == EISDIR) return Status::NotFound(key);
      return ErrnoStatus(err, "read " + path);
    }
    if (n == 0) break;
    body.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return body;
}

Result<ListPage> FolderStore::List(const ListOptions& options) {
  // Start the walk at the deepest directory the prefix names.
  size_t slash = options.prefix.rfind('/');
  std::string rel = slash == std::string::npos ? "" : options.prefix.substr(0, slash + 1);
  if (!rel.empty()) {
    Status s = ValidateKey(rel.substr(0, rel.size() - 1));
    if (!s.ok()) return s.WithContext("list prefix");
  }
  std::vector<ObjectInfo> all;
  Walk(rel.empty() ? root_ : root_ + "/" + rel.substr(0, rel.size() - 1), rel, options.prefix, &all);
  std::sort(all.begin(), all.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  ListPageBuilder page(options);
  auto it = std::upper_bound(all.begin(), all.end(), page.StartAfter(),
                             [](const std::string& k, const ObjectInfo& o) { return k < o.key; });
  for (; it != all.end(); ++it) {
    if (!page.Add(std::move(*it))) break;
  }
  return page.Finish();
}

Status FolderStore::Delete(const std::string& key) {
  EB_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = root_ + "/" + key;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    return ErrnoStatus(errno, "unlink " + path);
  }
  return Status::Ok();
}

}  // namespace eb
