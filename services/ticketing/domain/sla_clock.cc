#include "ticketing/domain/sla_clock.h"

#include <algorithm>

namespace mot::ticketing {
namespace {

using std::chrono::milliseconds;

// How far a clock may look for working time (a calendar with no working day at all
// would loop forever).
constexpr int kMaxDays = 366 * 20;

absl::Time ToAbsl(TimePoint t) { return absl::FromUnixMillis(ToUnixMillis(t)); }
TimePoint FromAbsl(absl::Time t) { return FromUnixMillis(absl::ToUnixMillis(t)); }

// The working hours of `day`, as instants; nullopt on a day off.
std::optional<std::pair<TimePoint, TimePoint>> Hours(absl::CivilDay day,
                                                     const BusinessCalendar& c) {
  if (!c.IsWorkingDay(day)) return std::nullopt;
  const auto at = [&](int minute) {
    return FromAbsl(absl::FromCivil(
        absl::CivilMinute(day.year(), day.month(), day.day(), minute / 60, minute % 60), c.zone));
  };
  return std::make_pair(at(c.day_start_minute), at(c.day_end_minute));
}

}  // namespace

bool BusinessCalendar::IsWorkingDay(absl::CivilDay day) const {
  if (makeup_days.count(day)) return true;
  if (holidays.count(day)) return false;
  return weekdays.count(absl::GetWeekday(day)) > 0;
}

TimePoint AddWorkingTime(TimePoint start, milliseconds window, const BusinessCalendar& c) {
  if (c.always) return start + window;
  absl::CivilDay day = absl::ToCivilDay(ToAbsl(start), c.zone);
  for (int i = 0; i < kMaxDays; ++i, day += 1) {
    const auto hours = Hours(day, c);
    if (!hours) continue;
    const TimePoint from = std::max(start, hours->first);
    if (from >= hours->second) continue;
    const milliseconds available = std::chrono::duration_cast<milliseconds>(hours->second - from);
    if (window <= available) return from + window;
    window -= available;
  }
  return TimePoint::max();
}

milliseconds WorkingTimeBetween(TimePoint from, TimePoint to, const BusinessCalendar& c) {
  if (to <= from) return milliseconds(0);
  if (c.always) return std::chrono::duration_cast<milliseconds>(to - from);
  milliseconds total(0);
  absl::CivilDay day = absl::ToCivilDay(ToAbsl(from), c.zone);
  const absl::CivilDay last = absl::ToCivilDay(ToAbsl(to), c.zone);
  for (int i = 0; i < kMaxDays && day <= last; ++i, day += 1) {
    const auto hours = Hours(day, c);
    if (!hours) continue;
    const TimePoint a = std::max(from, hours->first), b = std::min(to, hours->second);
    if (a < b) total += std::chrono::duration_cast<milliseconds>(b - a);
  }
  return total;
}

std::vector<Pause> PausesOf(const v1::Ticket& ticket) {
  const auto waiting = [](v1::TicketStatus s) {
    return s == v1::TICKET_STATUS_WAITING_ON_OWNER || s == v1::TICKET_STATUS_WAITING_ON_PARTS;
  };
  std::vector<Pause> out;
  for (const auto& c : ticket.history()) {
    const TimePoint at = FromProto(c.at());
    if (waiting(c.to()) && !waiting(c.from())) out.push_back({at, std::nullopt});
    if (!waiting(c.to()) && waiting(c.from()) && !out.empty() && !out.back().to) out.back().to = at;
  }
  return out;
}

std::optional<TimePoint> DueTime(TimePoint start, milliseconds window,
                                 const std::vector<Pause>& pauses, const BusinessCalendar& c) {
  TimePoint cursor = start;
  for (const auto& p : pauses) {
    if (p.to && *p.to <= cursor) continue;  // before the clock (or the part already run)
    const TimePoint due = AddWorkingTime(cursor, window, c);
    if (due <= p.from) return due;  // falls before this pause
    if (p.from > cursor) window -= WorkingTimeBetween(cursor, p.from, c);
    if (!p.to) return std::nullopt;  // the clock stands until the pause ends
    cursor = std::max(cursor, *p.to);
  }
  return AddWorkingTime(cursor, window, c);
}

std::vector<v1::SlaDeadline> Deadlines(const SlaPolicy& policy, const v1::Ticket& ticket,
                                       const BusinessCalendar& calendar) {
  std::vector<v1::SlaDeadline> out;
  const auto* milestones = policy.Find(ticket.kind());
  if (milestones == nullptr) return out;
  const TimePoint start = FromProto(ticket.opened_at());
  const auto pauses = PausesOf(ticket);
  for (const auto& m : *milestones) {
    v1::SlaDeadline d;
    d.set_milestone(m.name);
    if (auto due = DueTime(start, m.within, pauses, calendar)) *d.mutable_due_at() = ToProto(*due);
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// How far along the life a status is; waiting counts as in progress.
int Rank(v1::TicketStatus s) {
  switch (s) {
    case v1::TICKET_STATUS_ACKNOWLEDGED:
    case v1::TICKET_STATUS_REOPENED:
      return 1;
    case v1::TICKET_STATUS_IN_PROGRESS:
    case v1::TICKET_STATUS_WAITING_ON_OWNER:
    case v1::TICKET_STATUS_WAITING_ON_PARTS:
      return 2;
    case v1::TICKET_STATUS_RESOLVED:
      return 3;
    case v1::TICKET_STATUS_CLOSED:
      return 4;
    default:
      return 0;
  }
}

bool Recorded(const v1::Ticket& t, v1::SlaAlertKind kind, const std::string& milestone) {
  for (const auto& a : t.alerts()) {
    if (a.kind() == kind && a.milestone() == milestone) return true;
  }
  return false;
}

}  // namespace

std::optional<TimePoint> ReachedAt(const v1::Ticket& ticket, v1::TicketStatus status) {
  for (const auto& c : ticket.history()) {
    if (c.to() != v1::TICKET_STATUS_NEW && Rank(c.to()) >= Rank(status)) return FromProto(c.at());
  }
  return std::nullopt;
}

SlaReview Review(const SlaPolicy& policy, const v1::Ticket& ticket, TimePoint now) {
  SlaReview out;
  const auto* milestones = policy.Find(ticket.kind());
  const auto& calendar = policy.CalendarFor(ticket.kind(), ticket.project_id());
  const TimePoint start = FromProto(ticket.opened_at());
  const auto pauses = PausesOf(ticket);
  int level = 0;
  for (const auto& a : ticket.alerts()) level = std::max(level, a.level());
  const auto consider = [&](TimePoint at) {
    if (at > now && (!out.next || at < *out.next)) out.next = at;
  };
  const auto raise = [&](v1::SlaAlertKind kind, const std::string& milestone, TimePoint due,
                         const std::string& role) {
    v1::SlaAlert a;
    a.set_kind(kind);
    a.set_milestone(milestone);
    *a.mutable_due_at() = ToProto(due);
    *a.mutable_raised_at() = ToProto(now);
    a.set_role(role);
    out.raise.push_back(std::move(a));
  };
  for (const auto& m : milestones ? *milestones : std::vector<Milestone>{}) {
    v1::SlaDeadline d;
    d.set_milestone(m.name);
    const auto due = DueTime(start, m.within, pauses, calendar);
    const auto warn = DueTime(
        start,
        std::chrono::milliseconds(static_cast<int64_t>(m.within.count() * policy.warning_share())),
        pauses, calendar);
    const auto met = ReachedAt(ticket, m.met_by);
    if (due) *d.mutable_due_at() = ToProto(*due);
    if (warn) *d.mutable_warn_at() = ToProto(*warn);
    if (met) *d.mutable_met_at() = ToProto(*met);
    // Met: late or not, decided. Not met: the times it still has ahead.
    if (met) {
      if (due && *met > *due) {
        d.set_breached(true);
        if (!Recorded(ticket, v1::SLA_ALERT_KIND_BREACHED, m.name)) {
          raise(v1::SLA_ALERT_KIND_BREACHED, m.name, *due, "");  // late: nobody to call
        }
      }
    } else {
      if (warn && !Recorded(ticket, v1::SLA_ALERT_KIND_WARNING, m.name)) {
        if (*warn <= now) {
          raise(v1::SLA_ALERT_KIND_WARNING, m.name, *warn, "");
        } else {
          consider(*warn);
        }
      }
      if (due && *due <= now) {
        d.set_breached(true);
        if (!Recorded(ticket, v1::SLA_ALERT_KIND_BREACHED, m.name)) {
          raise(v1::SLA_ALERT_KIND_BREACHED, m.name, *due, m.escalate_to);
        }
      } else if (due) {
        consider(*due);
      }
    }
    out.deadlines.push_back(std::move(d));
  }
  const auto& risk = policy.risk_warning();
  if (risk.kinds.count(ticket.kind()) && Rank(ticket.status()) < Rank(v1::TICKET_STATUS_RESOLVED) &&
      !Recorded(ticket, v1::SLA_ALERT_KIND_RISK, "")) {
    const TimePoint at = start + risk.after;
    if (at <= now) {
      raise(v1::SLA_ALERT_KIND_RISK, "", at, risk.escalate_to);
    } else {
      consider(at);
    }
  }
  std::stable_sort(out.raise.begin(), out.raise.end(), [](const auto& a, const auto& b) {
    return FromProto(a.due_at()) < FromProto(b.due_at());
  });
  for (auto& a : out.raise) {
    if (!a.role().empty()) a.set_level(++level);  // the ladder's rungs in order of time
  }
  return out;
}

std::vector<std::string> NewlyMet(const SlaPolicy& policy, const v1::Ticket& before,
                                  const v1::Ticket& after) {
  std::vector<std::string> out;
  const auto* milestones = policy.Find(after.kind());
  if (milestones == nullptr) return out;
  for (const auto& m : *milestones) {
    if (!ReachedAt(before, m.met_by) && ReachedAt(after, m.met_by)) out.push_back(m.name);
  }
  return out;
}

}  // namespace mot::ticketing
