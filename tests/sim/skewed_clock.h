// A simulated worker's clock, off the store's by a fixed skew (issue 13:
// processes whose clocks disagree by up to 30 s).
#pragma once

#include "base/clock.h"

namespace eb::sim {

// A worker's clock: the store's time plus a fixed skew. Sleeping (the
// protocol's backoff) moves the shared time.
class SkewedClock : public Clock {
 public:
  SkewedClock(FakeClock& base, TimeMs skew) : base_(base), skew_(skew) {}
  TimeMs NowMs() override { return base_.NowMs() + skew_; }
  void SleepMs(TimeMs ms) override { base_.Advance(ms); }

 private:
  FakeClock& base_;
  TimeMs skew_;
};

}  // namespace eb::sim
