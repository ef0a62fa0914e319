#include "mot/common/local_hours.h"

#include "absl/time/civil_time.h"

namespace mot {
namespace {

int MinuteOfDay(TimePoint t, const absl::TimeZone& zone) {
  const absl::CivilSecond local = absl::ToCivilSecond(absl::FromUnixMillis(ToUnixMillis(t)), zone);
  return local.hour() * 60 + local.minute();
}

}  // namespace

bool InWindow(TimePoint t, const absl::TimeZone& zone, const ContactWindow& w) {
  const int minute = MinuteOfDay(t, zone);
  return w.start_minute < w.end_minute ? minute >= w.start_minute && minute < w.end_minute
                                       : minute >= w.start_minute || minute < w.end_minute;
}

TimePoint IntoWindow(TimePoint t, const absl::TimeZone& zone, const ContactWindow& w) {
  if (InWindow(t, zone, w)) return t;
  const absl::CivilSecond local = absl::ToCivilSecond(absl::FromUnixMillis(ToUnixMillis(t)), zone);
  const int minute = local.hour() * 60 + local.minute();
  absl::CivilDay day = absl::CivilDay(local);
  // Before the start on this day, or after the end (then the next day's start).
  if (minute >= w.end_minute && minute >= w.start_minute) day += 1;
  const absl::CivilMinute start(day.year(), day.month(), day.day(), w.start_minute / 60,
                                w.start_minute % 60);
  return FromUnixMillis(absl::ToUnixMillis(absl::FromCivil(start, zone)));
}

TimePoint AfterHours(TimePoint t, const absl::TimeZone& zone, const ContactWindow& hours) {
  if (hours.start_minute == hours.end_minute) return t;  // no quiet hours
  // Outside the hours is the window from their end to their start.
  return IntoWindow(t, zone, ContactWindow{hours.end_minute, hours.start_minute});
}

}  // namespace mot
