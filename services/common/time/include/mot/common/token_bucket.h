#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>

namespace mot {

// A token bucket: `rate` tokens a second, holding at most `burst` (it starts full).
// Rate limits are about a real provider's pace, so it runs on the machine's steady
// time, not the service's clock.
class TokenBucket {
 public:
  using Steady = std::chrono::steady_clock;
  TokenBucket(double rate, double burst, Steady::time_point now = Steady::now())
      : rate_(rate), burst_(std::max(burst, 1.0)), tokens_(burst_), at_(now) {}

  // Takes up to `n` whole tokens at `now`: how many it took.
  int Take(int n, Steady::time_point now) {
    Refill(now);
    const int taken = std::min(n, static_cast<int>(std::floor(tokens_)));
    tokens_ -= taken;
    return std::max(taken, 0);
  }

  // How long from `now` until a whole token is there (0 when one is).
  std::chrono::milliseconds Wait(Steady::time_point now) {
    Refill(now);
    if (tokens_ >= 1) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<int64_t>(std::ceil((1 - tokens_) / rate_ * 1000)));
  }

 private:
  void Refill(Steady::time_point now) {
    if (now <= at_) return;
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - at_).count() * rate_);
    at_ = now;
  }
  const double rate_;
  const double burst_;
  double tokens_;
  Steady::time_point at_;
};

}  // namespace mot
