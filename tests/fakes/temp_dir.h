// A fresh folder for one test: created empty by the constructor (a stale one from an
// earlier run is removed first), removed by the destructor unless Keep() was called.
#pragma once

#include <filesystem>
#include <string>

namespace eb::test {

class TempDir {
 public:
  // <gtest's temp dir>/eb-<name>-<pid>-<running test's name>, so parallel test
  // processes and the cases of one binary never share it.
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  operator const std::filesystem::path&() const { return path_; }  // NOLINT: a path by design
  std::filesystem::path operator/(const std::filesystem::path& rel) const { return path_ / rel; }
  std::string string() const { return path_.string(); }
  const char* c_str() const { return path_.c_str(); }

  // Leaves the folder behind (a failed test's logs), saying where.
  void Keep();

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace eb::test
