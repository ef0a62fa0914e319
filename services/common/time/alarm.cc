#include "mot/common/alarm.h"

#include <algorithm>

namespace mot {

void Alarm::Ring() {
  {
    std::lock_guard lock(mu_);
    rung_ = true;
  }
  cv_.notify_one();
}

void Alarm::Reset() {
  std::lock_guard lock(mu_);
  rung_ = false;
}

void Alarm::Wait(std::chrono::milliseconds interval, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + interval;
  std::unique_lock lock(mu_);
  while (!rung_ && !stop.load() && std::chrono::steady_clock::now() < until) {
    // Short waits: `stop` is an atomic, not a condition of this variable.
    cv_.wait_for(lock,
                 std::min<std::chrono::steady_clock::duration>(
                     std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
}

}  // namespace mot
