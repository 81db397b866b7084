// One clock for the protocol: the store's. Leases, the resume grace, timeouts
// and the retention horizon compare "now" with times the store wrote
// (LastModified, the times in trip records written by other machines). A
// replica whose own clock is 30 s fast would judge them 30 s wrong; judged in
// the store's time, every replica agrees to within the store's resolution.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "base/clock.h"

namespace eb {

// What the server's clock reads minus what the local clock reads, learned
// from the `Date` header of the server's answers (whole seconds). An answer
// sent at local time s and received at r with Date d bounds the offset to
// [d - r, d + 1000 - s]; the bounds of successive answers are intersected,
// and an answer that contradicts them (a clock was stepped) starts over.
// Thread-safe: a store answers on several connections at once.
class ServerTimeOffset {
 public:
  void Observe(TimeMs sent_local, TimeMs received_local, TimeMs server_date);
  bool Known() const;
  // The middle of the bounds; 0 while unknown.
  TimeMs EstimateMs() const;
  // Half the width of the bounds: the estimate is within this of the truth.
  TimeMs UncertaintyMs() const;

 private:
  mutable std::mutex mu_;
  bool known_ = false;
  TimeMs low_ = 0;
  TimeMs high_ = 0;
};

// The local clock moved by a store's offset, when the store knows one (S3:
// the Date headers), else the local clock itself (the memory and folder
// stores keep the local clock's time). When the offset exceeds `notice_ms`
// (or moves by that much since the last notice), `notice` is called once
// with a sentence for the log.
class StoreTimeClock : public Clock {
 public:
  static constexpr TimeMs kDefaultNoticeMs = 2000;
  StoreTimeClock(Clock& local, const ServerTimeOffset* offset,
                 std::function<void(const std::string& message, TimeMs offset_ms)> notice = nullptr,
                 TimeMs notice_ms = kDefaultNoticeMs);
  TimeMs NowMs() override;
  void SleepMs(TimeMs ms) override { local_.SleepMs(ms); }
  // Store time minus local time as known now (0 without a store offset).
  TimeMs OffsetMs() const { return offset_ != nullptr ? offset_->EstimateMs() : 0; }

 private:
  Clock& local_;
  const ServerTimeOffset* offset_;
  std::function<void(const std::string&, TimeMs)> notice_;
  TimeMs notice_ms_;
  std::mutex mu_;
  TimeMs noticed_ = 0;  // the offset last reported (0: none)
};

}  // namespace eb
