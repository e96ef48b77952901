#include "forward/backoff.h"

#include <algorithm>
#include <cmath>

namespace dynostatsd::forward {
namespace {

// floor(log2(x)) for x >= 1, exactly (halving is exact), without libm's log2 and pow: with a key
// the agent then runs no libm function of its own until a distribution arrives (libm -0.18 MB RSS).
int floorLog2(double x) {
  int n = 0;
  for (; x >= 2 && n < 1024; x /= 2) ++n;  // 1024: past the largest double's exponent, for +inf
  return n;
}

}  // namespace

Backoff::Backoff(double baseSeconds, double maxSeconds, std::function<double()> uniform01)
    : base_(baseSeconds > 0 ? baseSeconds : 2),
      max_(maxSeconds >= base_ ? maxSeconds : base_),
      maxErrors_(floorLog2(max_ / base_) + 1),
      uniform01_(std::move(uniform01)) {}

void Backoff::onError() {
  errors_ = std::min(errors_ + 1, maxErrors_);
}

void Backoff::onSuccess() {
  errors_ = std::max(errors_ - kRecoveryStep, 0);
}

double Backoff::delaySeconds() const {
  if (errors_ == 0) return 0;
  double wait = base_;  // base * 2^errors, exactly
  for (int i = 0; i < errors_ && wait <= max_; ++i) wait *= 2;
  if (wait > max_) return max_;
  double low = wait / 2;
  return low + (wait - low) * std::clamp(uniform01_(), 0.0, 1.0);
}

}  // namespace dynostatsd::forward
