// What the doctor's checks share (cli/doctor_checks.h is the interface):
// the store behind a recorder of permission denials and written keys, the
// helpers that turn store answers into evidence, and the Doctor that runs
// the checks in order. The checks are defined in doctor_checks.cc (report,
// permissions, cleanup), doctor_put_checks.cc (put-if-absent, racers, clock)
// and doctor_list_checks.cc (LIST and bulk delete). Internal to eb_cli.
#pragma once

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli/doctor_checks.h"

namespace eb::cli::doctor_internal {

// The store calls the engine makes, by S3 API, with the IAM action that allows each.
enum class Api {
  kGetObject,
  kPutObject,
  kPutIfAbsent,
  kListObjectsV2,
  kDeleteObject,
  kDeleteObjects,
  kCount
};

// Forwards to the store and remembers, per API, whether it was called and the
// first permission-denied answer, and every key written (after leveldb's EnvWrapper).
class PermissionRecorder : public ObjectStore {
 public:
  explicit PermissionRecorder(ObjectStore& base) : base_(base) {}
  Result<std::string> Get(const std::string& key) override {
    auto r = base_.Get(key);
    (void)Note(Api::kGetObject, r.ok() ? Status::Ok() : r.status());
    return r;
  }
  Status Put(const std::string& key, const std::string& body) override {
    return Note(Api::kPutObject, base_.Put(key, body), &key);
  }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    return Note(Api::kPutIfAbsent, base_.PutIfAbsent(key, body), &key);
  }
  Result<ListPage> List(const ListOptions& options) override {
    auto r = base_.List(options);
    (void)Note(Api::kListObjectsV2, r.ok() ? Status::Ok() : r.status());
    return r;
  }
  Status Delete(const std::string& key) override {
    return Note(Api::kDeleteObject, base_.Delete(key));
  }
  Status DeleteMany(const std::vector<std::string>& keys) override {
    return Note(Api::kDeleteObjects, base_.DeleteMany(keys));
  }
  const ServerTimeOffset* ServerTime() const override { return base_.ServerTime(); }
  std::string Describe() const override { return base_.Describe(); }

  struct Record {
    bool called = false;
    std::string denied;  // the first permission-denied message
  };
  Record Recorded(Api api) const {
    std::lock_guard<std::mutex> lock(mu_);
    return records_[static_cast<int>(api)];
  }
  // Every key a Put or PutIfAbsent may have created (also those that failed:
  // a lost answer can hide a write).
  std::vector<std::string> Written() const {
    std::lock_guard<std::mutex> lock(mu_);
    return {written_.begin(), written_.end()};
  }

 private:
  Status Note(Api api, Status s, const std::string* key = nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    if (key != nullptr) written_.insert(*key);
    Record& r = records_[static_cast<int>(api)];
    r.called = true;
    if (s.code() == Code::kPermissionDenied && r.denied.empty()) r.denied = s.message();
    return s;
  }
  ObjectStore& base_;
  mutable std::mutex mu_;
  Record records_[static_cast<int>(Api::kCount)];
  std::set<std::string> written_;
};

// A status for one line of evidence: its code and message, cut to a readable length.
std::string Brief(const Status& s);
// "+1.234 s".
std::string Seconds(TimeMs ms);
// n with leading zeros to `width` digits.
std::string Padded(int n, int width);

// Runs `work(i)` for i in [0, n) on `threads` threads.
template <typename Work>
void Parallel(int n, int threads, Work work) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, std::min(threads, n)); ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) work(i);
    });
  }
  for (auto& th : pool) th.join();
}

// Every key under `prefix` page by page (max_keys 1000), as the engine reads.
struct Listing {
  Status status;
  std::vector<ObjectInfo> objects;
  int pages = 0;
};
Listing ListPages(ObjectStore& store, const std::string& prefix,
                  const std::string& start_after = "");
std::vector<std::string> Keys(const std::vector<ObjectInfo>& objects);
// The first place two key sequences differ, for evidence.
std::string FirstDifference(const std::vector<std::string>& got,
                            const std::vector<std::string>& want);

class Doctor {
 public:
  Doctor(ObjectStore& store, Clock& clock, const DoctorOptions& options)
      : store_(store), clock_(clock), o_(options) {}

  DoctorReport Run();

 private:
  using Check = void (Doctor::*)(CheckResult&);
  // Runs one check, timing it and turning an exception into a failure.
  void Add(const char* name, const char* promise, Check check);

  void PutIfAbsentOnce(CheckResult& r);
  void Racers(CheckResult& r);
  void ListAfterWrite(CheckResult& r);
  void ListOrder(CheckResult& r);
  void ListPagination(CheckResult& r);
  void ListStartAfter(CheckResult& r);
  void ListAfterDelete(CheckResult& r);
  void BulkDelete(CheckResult& r);
  void ClockSkew(CheckResult& r);
  CheckResult Permissions();
  CheckResult Cleanup();

  std::string Key(const std::string& name) const { return o_.scratch + name; }
  std::string ListKey(int i) const { return Key("list/" + Padded(i, 5)); }

  PermissionRecorder store_;
  Clock& clock_;
  const DoctorOptions& o_;
  DoctorReport report_;
  bool written_ = false;       // the first write succeeded: the other checks can run
  bool list_keys_ok_ = false;  // every list/ key was written
};

}  // namespace eb::cli::doctor_internal
