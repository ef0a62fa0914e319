#pragma once

#include "absl/time/time.h"
#include "mot/common/clock.h"

namespace mot {

// Local hours of a day, [start, end) in minutes after midnight; start > end wraps
// midnight. The scheduler's contact window (when a touchpoint may reach the owner,
// default 09:00-20:00) and notification's quiet hours (when nothing optional goes
// out, default 21:00-08:00) are both.
struct ContactWindow {
  int start_minute = 9 * 60;
  int end_minute = 20 * 60;
};

// Whether `t` falls inside `window` in `zone`.
bool InWindow(TimePoint t, const absl::TimeZone& zone, const ContactWindow& window);

// `t`, or the next start of `window` when `t` falls outside it (never dropped: for
// 09:00-20:00, 23:30 becomes 09:00 the next day, 06:00 09:00 the same day).
TimePoint IntoWindow(TimePoint t, const absl::TimeZone& zone, const ContactWindow& window);

// `t`, or the next end of `hours` when `t` falls inside them (quiet hours 21:00-08:00:
// 23:10 becomes 08:00 the next morning, 07:00 08:00 the same morning).
TimePoint AfterHours(TimePoint t, const absl::TimeZone& zone, const ContactWindow& hours);

}  // namespace mot
