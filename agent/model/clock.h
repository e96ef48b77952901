#pragma once
// Clock: the aggregator's and forwarder's only source of time, injected so tests control it.
#include <chrono>
#include <cstdint>

namespace dynostatsd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t nowSeconds() const = 0;  // wall clock, seconds since the epoch
  virtual std::int64_t nowMillis() const = 0;   // wall clock, milliseconds since the epoch
};

class SystemClock final : public Clock {
 public:
  std::int64_t nowSeconds() const override { return nowMillis() / 1000; }
  std::int64_t nowMillis() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

// For tests: time moves only when the test says so.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t millis = 0) : millis_(millis) {}
  std::int64_t nowSeconds() const override { return millis_ / 1000; }
  std::int64_t nowMillis() const override { return millis_; }
  void setSeconds(std::int64_t seconds) { millis_ = seconds * 1000; }
  void advanceMillis(std::int64_t millis) { millis_ += millis; }

 private:
  std::int64_t millis_;
};

}  // namespace dynostatsd
