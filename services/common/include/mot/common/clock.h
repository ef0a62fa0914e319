#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "google/protobuf/timestamp.pb.h"

namespace mot {

using TimePoint = std::chrono::system_clock::time_point;

// Everything time-based reads an injected clock; tests use ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

class ManualClock : public Clock {
 public:
  explicit ManualClock(TimePoint now) : now_ms_(ToMs(now)) {}
  TimePoint Now() const override { return TimePoint(std::chrono::milliseconds(now_ms_.load())); }
  void Advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

 private:
  static int64_t ToMs(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  std::atomic<int64_t> now_ms_;
};

int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);
google::protobuf::Timestamp ToProto(TimePoint t);
TimePoint FromProto(const google::protobuf::Timestamp& ts);
// RFC 3339 in UTC, seconds precision: 2026-11-22T06:51:37Z.
std::string FormatTime(TimePoint t);

// A stable id from its parts (FNV-1a over the parts, 128 bits in hex), prefixed:
// DeterministicId("tp", {event_id, step_id}) is the same in every process and run.
std::string DeterministicId(std::string_view prefix, std::initializer_list<std::string_view> parts);

}  // namespace mot
