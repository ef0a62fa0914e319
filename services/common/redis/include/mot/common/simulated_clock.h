#pragma once

#include <atomic>
#include <chrono>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/common/redis.h"

namespace mot {

// The simulated time of a local mesh, shared by all its services: unix ms in the
// Redis key mot:clock. It stands still until moved (motctl clock set|advance), so a
// test or a rehearsal decides exactly when day 30 or year 4 comes. It only moves
// forward: timers that fired cannot un-fire. Never for production.
class SimulatedTime {
 public:
  static constexpr char kKey[] = "mot:clock";
  explicit SimulatedTime(RedisClient& redis) : redis_(redis) {}
  // NotFound when no time was ever set.
  absl::StatusOr<TimePoint> Get();
  // Sets `start` unless a time is set already; returns the time in force.
  absl::StatusOr<TimePoint> Init(TimePoint start);
  // FailedPrecondition when `t` is before the time in force.
  absl::StatusOr<TimePoint> Set(TimePoint t);
  // InvalidArgument for a negative duration; NotFound when no time is set.
  absl::StatusOr<TimePoint> Advance(std::chrono::milliseconds d);

 private:
  RedisClient& redis_;
};

// A Clock that reads the shared simulated time (the local mesh and tests only):
// Refresh() (called every poll interval by the runtime) fetches it, and so does Now().
class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(RedisClient& redis) : time_(redis) {}
  // Reads the shared time, setting it to the wall clock's if none is set yet.
  absl::Status Refresh();
  // The shared time, read at each call: a service never runs behind a time another
  // one has already acted on (a command sent at T is handled at T or later). When
  // Redis cannot be read, the last time read.
  TimePoint Now() const override;

 private:
  mutable SimulatedTime time_;
  mutable std::atomic<int64_t> now_ms_{0};
};

}  // namespace mot
