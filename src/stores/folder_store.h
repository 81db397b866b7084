// An ObjectStore in a local folder. Keys map to files under the root;
// PUT-if-absent is link(2) of a fully written temporary file (atomic, never
// half-written), PUT is rename(2), LIST is a sorted walk. Several processes
// may share one folder.
//
// Keys can never escape the root: an empty key, a leading '/', an empty,
// "." or ".." segment, NUL or any control character is InvalidArgument.
#pragma once

#include <string>

#include "core/store.h"

namespace eb {

struct FolderStoreOptions {
  // fsync the file and its directory on every write: survives power loss, not
  // just kill -9. Off only for benchmarks and throwaway state.
  bool fsync = true;
};

class FolderStore : public ObjectStore {
 public:
  // Creates `root` if needed. Check `init_status()` before use.
  explicit FolderStore(std::string root, FolderStoreOptions options = {});

  const Status& init_status() const { return init_status_; }
  const std::string& root() const { return root_; }

  Result<std::string> Get(const std::string& key) override;
  Status Put(const std::string& key, const std::string& body) override;
  Status PutIfAbsent(const std::string& key, const std::string& body) override;
  Result<ListPage> List(const ListOptions& options) override;
  Status Delete(const std::string& key) override;
  std::string Describe() const override { return "folder:" + root_; }

  // OK if `key` is a safe relative key; InvalidArgument naming the problem otherwise.
  static Status ValidateKey(const std::string& key);

 private:
  Status Write(const std::string& key, const std::string& body, bool if_absent);
  Result<std::string> WriteTemp(const std::string& body);

  std::string root_;
  FolderStoreOptions options_;
  Status init_status_;
};

}  // namespace eb
