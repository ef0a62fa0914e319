#include "touchpoint-scheduler/domain/calendar.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "mot/common/ids.h"
#include "touchpoint-scheduler/domain/conditions.h"
#include "touchpoint-scheduler/domain/dates.h"

namespace mot::scheduler {

namespace {

// The local calendar days of [from, to] on which `step` falls for this customer.
std::vector<absl::CivilDay> CalendarDays(const Playbook& pb, const Step& step,
                                         const CustomerFacts& facts, absl::CivilDay first,
                                         absl::CivilDay last) {
  std::vector<absl::CivilDay> out;
  if (step.calendar == "birthday") {
    if (facts.birth_month == 0) return out;
    for (int64_t y = first.year(); y <= last.year(); ++y) {
      const absl::CivilMonth month(y, facts.birth_month);
      const absl::CivilDay end_of_month = absl::CivilDay(month + 1) - 1;
      // 29 February: the 28th in other years.
      const absl::CivilDay day(y, facts.birth_month,
                               std::min<int>(facts.birth_day, end_of_month.day()));
      if (day >= first && day <= last) out.push_back(day);
    }
    return out;
  }
  auto it = pb.festivals().find(step.calendar);
  if (it == pb.festivals().end()) return out;
  for (const auto& day : it->second) {
    if (day >= first && day <= last) out.push_back(day);
  }
  return out;
}

}  // namespace

std::vector<PlannedTouchpoint> PlanCalendar(const Playbook& pb, const CustomerFacts& facts,
                                            TimePoint from, TimePoint to) {
  std::vector<PlannedTouchpoint> out;
  const absl::TimeZone zone = pb.ZoneFor(facts);
  const absl::CivilDay first = LocalDay(from, zone), last = LocalDay(to, zone);
  for (const Step& step : pb.steps()) {
    if (step.calendar.empty()) continue;
    const auto exits = pb.ExitsFor(step);
    if (std::any_of(facts.exited.begin(), facts.exited.end(),
                    [&](const std::string& e) { return Contains(exits, e); })) {
      continue;
    }
    for (const absl::CivilDay day : CalendarDays(pb, step, facts, first, last)) {
      const TimePoint at = AtDate(day, {}, zone) + step.after;
      if (!Holds(step, nullptr, facts, at, pb.stages())) continue;
      const std::string date = absl::FormatCivilTime(day);
      Occasion o;
      o.id = DeterministicId("tp", {"calendar", step.id, date, facts.customer_id});
      o.event_id = absl::StrCat("calendar:", step.calendar, ":", date);
      o.event_type = "calendar";
      o.due = at;
      o.occurred = at;
      o.extra = {{"calendar", step.calendar}, {"date", date}};
      out.push_back(Build(pb, step, facts, o));
    }
  }
  return out;
}

bool HasFestivalDates(const Playbook& pb, TimePoint from, TimePoint to) {
  // Any zone is within a day of UTC's date.
  const absl::CivilDay first = LocalDay(from, absl::UTCTimeZone()) - 1;
  const absl::CivilDay last = LocalDay(to, absl::UTCTimeZone()) + 1;
  return std::any_of(pb.steps().begin(), pb.steps().end(), [&](const Step& step) {
    return !step.calendar.empty() && step.calendar != "birthday" &&
           !CalendarDays(pb, step, {}, first, last).empty();
  });
}

bool HasBirthdaySteps(const Playbook& pb) {
  return std::any_of(pb.steps().begin(), pb.steps().end(),
                     [](const Step& step) { return step.calendar == "birthday"; });
}
}  // namespace mot::scheduler
