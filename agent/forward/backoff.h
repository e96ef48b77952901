#pragma once
// Backoff: the per-endpoint error count and the jittered exponential wait it implies (the Datadog
// Agent's backoff.go). With n errors (1 <= n <= maxErrors):
//   wait = base * 2^n;  wait > max ? max : uniform(wait / 2, wait)
// base 2 s, max 64 s: n=1 -> [2,4] s, n=2 -> [4,8], n=3 -> [8,16], n=4 -> [16,32], n=5 -> [32,64],
// n=6 -> 64 (maxErrors = floor(log2(max / base)) + 1 = 6). Each success lowers n by 2.
#include <functional>

namespace dynostatsd::forward {

class Backoff {
 public:
  // `uniform01` returns a uniformly distributed number in [0, 1); injected for tests.
  Backoff(double baseSeconds, double maxSeconds, std::function<double()> uniform01);

  void onError();
  void onSuccess();
  int errors() const { return errors_; }
  int maxErrors() const { return maxErrors_; }
  // The wait before the next attempt, in seconds; 0 when there is no error.
  double delaySeconds() const;

  static constexpr int kRecoveryStep = 2;

 private:
  double base_;
  double max_;
  int maxErrors_;
  int errors_ = 0;
  std::function<double()> uniform01_;
};

}  // namespace dynostatsd::forward
