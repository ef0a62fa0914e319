#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/timestamp.pb.h"

namespace mot {

// Milliseconds since the Unix epoch. Millisecond precision keeps every date a
// protobuf Timestamp can hold (years 1 to 9999) in range; nanoseconds would
// overflow after 2262.
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

// Everything time-based reads an injected clock: SystemClock in production,
// SimulatedClock (runtime.h) in the local mesh, ManualClock in tests.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock : public Clock {
 public:
  TimePoint Now() const override { return WallNow(); }
  static TimePoint WallNow() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
};

int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);
google::protobuf::Timestamp ToProto(TimePoint t);
TimePoint FromProto(const google::protobuf::Timestamp& ts);
// RFC 3339 in UTC, seconds precision: 2026-11-22T06:51:37Z.
std::string FormatTime(TimePoint t);
// RFC 3339 (any offset) -> TimePoint; InvalidArgument-style false on failure.
bool ParseTime(const std::string& text, TimePoint* out);

// How far from now a time an event or command carries may be (MOT_EVENT_MAX_AGE,
// MOT_EVENT_MAX_AHEAD). Times outside are refused: a typo such as 9999-12-31 must
// not become a touchpoint that fires at once, nor a ticket whose clocks never run.
struct TimeWindow {
  std::chrono::milliseconds max_age = std::chrono::hours(24 * 365 * 30);
  std::chrono::milliseconds max_ahead = std::chrono::hours(24);
};

// InvalidArgument "<field> <time> is too far in the past/future" when `at` lies outside
// the window around `now` (compared in seconds before any conversion, so no value can
// overflow), or "<field> is not a valid time" for nanos out of range.
absl::Status CheckWithin(const google::protobuf::Timestamp& at, std::string_view field,
                         TimePoint now, const TimeWindow& window);

}  // namespace mot
