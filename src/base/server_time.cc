#include "base/server_time.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace eb {

void ServerTimeOffset::Observe(TimeMs sent_local, TimeMs received_local, TimeMs server_date) {
  if (server_date <= 0 || received_local < sent_local) return;
  // The server stamped Date somewhere in [sent, received] of our time, and
  // Date is its clock rounded down to the second.
  TimeMs low = server_date - received_local;
  TimeMs high = server_date + 1000 - sent_local;
  std::lock_guard<std::mutex> lock(mu_);
  if (known_ && std::max(low, low_) <= std::min(high, high_)) {
    low_ = std::max(low, low_);
    high_ = std::min(high, high_);
    return;
  }
  // First answer, or one that contradicts the others: a clock was set.
  known_ = true;
  low_ = low;
  high_ = high;
}

bool ServerTimeOffset::Known() const {
  std::lock_guard<std::mutex> lock(mu_);
  return known_;
}

TimeMs ServerTimeOffset::EstimateMs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return known_ ? low_ + (high_ - low_) / 2 : 0;
}

TimeMs ServerTimeOffset::UncertaintyMs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return known_ ? (high_ - low_ + 1) / 2 : 0;
}

StoreTimeClock::StoreTimeClock(Clock& local, const ServerTimeOffset* offset,
                               std::function<void(const std::string&, TimeMs)> notice,
                               TimeMs notice_ms)
    : local_(local), offset_(offset), notice_(std::move(notice)), notice_ms_(notice_ms) {}

TimeMs StoreTimeClock::NowMs() {
  TimeMs offset = OffsetMs();
  if (notice_ && offset_ != nullptr) {
    std::string message;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (std::llabs(offset - noticed_) >= notice_ms_) {
        noticed_ = offset;
        char text[200];
        std::snprintf(text, sizeof text,
                      "the store's clock is %+.1f s from this machine's (within %.1f s); leases, "
                      "timeouts and "
                      "retention use the store's",
                      static_cast<double>(offset) / 1000,
                      static_cast<double>(offset_->UncertaintyMs()) / 1000);
        message = text;
      }
    }
    if (!message.empty()) notice_(message, offset);
  }
  return local_.NowMs() + offset;
}

}  // namespace eb
