// Time behind an interface: logic never calls now() itself, so tests and the
// simulation control time completely.
#pragma once

#include <cstdint>
#include <string>

namespace eb {

// Milliseconds since the Unix epoch, UTC.
using TimeMs = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs NowMs() = 0;
  // Waits `ms` (a retry's backoff). A fake clock moves instead.
  virtual void SleepMs(TimeMs ms) = 0;
};

// The real wall clock.
class SystemClock : public Clock {
 public:
  TimeMs NowMs() override;
  void SleepMs(TimeMs ms) override;
};

// A clock that never jumps (not the wall clock's epoch): for latencies.
class SteadyClock : public Clock {
 public:
  TimeMs NowMs() override;
  void SleepMs(TimeMs ms) override;
};

// A clock that moves only when told to. Not thread-safe by itself.
class FakeClock : public Clock {
 public:
  explicit FakeClock(TimeMs start = 1'700'000'000'000) : now_(start) {}
  TimeMs NowMs() override { return now_; }
  void SleepMs(TimeMs ms) override { now_ += ms; }
  void Advance(TimeMs ms) { now_ += ms; }
  void Set(TimeMs ms) { now_ = ms; }

 private:
  TimeMs now_;
};

// "2026-11-24T06:00:00.123Z".
std::string FormatIso8601(TimeMs ms);
// Accepts "2026-11-24T06:00:00Z" with 0-9 fraction digits; returns false on anything else.
bool ParseIso8601(const std::string& text, TimeMs* out);

}  // namespace eb
