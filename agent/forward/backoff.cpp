#include "forward/backoff.h"

#include <algorithm>
#include <cmath>

namespace dynostatsd::forward {

Backoff::Backoff(double baseSeconds, double maxSeconds, std::function<double()> uniform01)
    : base_(baseSeconds > 0 ? baseSeconds : 2),
      max_(maxSeconds >= base_ ? maxSeconds : base_),
      maxErrors_(static_cast<int>(std::floor(std::log2(max_ / base_))) + 1),
      uniform01_(std::move(uniform01)) {}

void Backoff::onError() {
  errors_ = std::min(errors_ + 1, maxErrors_);
}

void Backoff::onSuccess() {
  errors_ = std::max(errors_ - kRecoveryStep, 0);
}

double Backoff::delaySeconds() const {
  if (errors_ == 0) return 0;
  double wait = base_ * std::pow(2.0, errors_);
  if (wait > max_) return max_;
  double low = wait / 2;
  return low + (wait - low) * std::clamp(uniform01_(), 0.0, 1.0);
}

}  // namespace dynostatsd::forward
