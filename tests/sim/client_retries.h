// What the S3 client does under the engine, for the simulations: it retries
// an Unavailable answer itself and recognises its own conditional write
// after a lost answer (aws/s3_client.cc).
#pragma once

#include <type_traits>

#include "fakes/fault_store.h"

namespace eb::sim {

// What the S3 client does under the engine: it retries an Unavailable answer
// (5xx, timeouts) itself, up to 6 tries (aws/retry.h), so the engine sees one
// only when every try failed. The fault layer below answers each try; it
// also answers reads with 409, which S3 never does: the client takes that as
// one more transient answer. (A 409 on a write stays the engine's to retry.)
class ClientRetries : public test::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::string> Get(const std::string& key) override {
    return Retry([&] { return base_.Get(key); }, /*read=*/true);
  }
  Status Put(const std::string& key, const std::string& body) override {
    return Retry([&] { return base_.Put(key, body); });
  }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    bool retried = false;
    Status s = Retry([&] { return base_.PutIfAbsent(key, body); }, /*read=*/false, &retried);
    if (!s.IsAlreadyExists() || !retried) return s;
    // As the S3 client does: after a lost answer, the object may be ours.
    auto there = base_.Get(key);
    if (!there.ok())
      return Status::Unavailable("412 after a retry, and the object could not be read back");
    return *there == body ? Status::Ok() : s;
  }
  Result<ListPage> List(const ListOptions& options) override {
    return Retry([&] { return base_.List(options); }, /*read=*/true);
  }
  Status Delete(const std::string& key) override {
    return Retry([&] { return base_.Delete(key); });
  }
  Status DeleteMany(const std::vector<std::string>& keys) override {
    return Retry([&] { return base_.DeleteMany(keys); });
  }

 private:
  static constexpr int kTries = 6;
  template <typename Op>
  static auto Retry(Op op, bool read = false, bool* retried = nullptr) -> decltype(op()) {
    auto r = op();
    for (int i = 1; i < kTries; ++i) {
      Code code;
      if constexpr (std::is_same_v<decltype(r), Status>) {
        code = r.code();
      } else {
        code = r.ok() ? Code::kOk : r.status().code();
      }
      bool unavailable = code == Code::kUnavailable || (read && code == Code::kConflict);
      if (!unavailable) break;
      if (retried != nullptr) *retried = true;
      r = op();
    }
    return r;
  }
};

}  // namespace eb::sim
