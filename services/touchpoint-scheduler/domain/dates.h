#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "mot/common/clock.h"

namespace mot::scheduler {

// An offset on a calendar date: months (a month or a year later is the same day of
// the month, clamped to its end) and then a duration; negative when before.
struct DateOffset {
  int sign = 1;
  int months = 0;
  std::chrono::milliseconds rest{0};
};

// An IANA time zone by name (absl's time-zone database); InvalidArgument naming it.
absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name);

// "planned_handover_date - 3mo" -> the attribute and the offset; "2y", "3mo", "30d",
// "12h" units. InvalidArgument says what is wrong.
absl::StatusOr<std::pair<std::string, DateOffset>> ParseAnchor(const std::string& text);
// The local midnight of `day` in `zone`, moved by `offset`.
TimePoint AtDate(absl::CivilDay day, const DateOffset& offset, const absl::TimeZone& zone);
// The local calendar day of `t` in `zone`.
absl::CivilDay LocalDay(TimePoint t, const absl::TimeZone& zone);

}  // namespace mot::scheduler
