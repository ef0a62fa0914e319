#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace mot {

// A loop's wait between passes: until `interval` has gone by, the loop is told to
// stop, or someone rings (then at once).
class Alarm {
 public:
  void Ring();
  // Forgets earlier rings: what happened before the pass that follows, it sees.
  void Reset();
  void Wait(std::chrono::milliseconds interval, const std::atomic<bool>& stop);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool rung_ = false;
};

}  // namespace mot
