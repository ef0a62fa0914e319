#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "mot/common/clock.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "ticketing/domain/sla_policy.h"

namespace mot::ticketing {

// The instant `window` of working time after `start` (a start outside working hours
// counts from the next opening).
TimePoint AddWorkingTime(TimePoint start, std::chrono::milliseconds window,
                         const BusinessCalendar& calendar);

// Working time in [from, to).
std::chrono::milliseconds WorkingTimeBetween(TimePoint from, TimePoint to,
                                             const BusinessCalendar& calendar);

// A stretch when the clock stands (waiting on the owner or on parts); `to` unset while
// it lasts.
struct Pause {
  TimePoint from{};
  std::optional<TimePoint> to;
};

// The pauses of a ticket, from its history: entering WAITING_ON_OWNER or
// WAITING_ON_PARTS starts one, leaving ends it.
std::vector<Pause> PausesOf(const v1::Ticket& ticket);

// When `window` of working time has run on a clock started at `start` and stopped
// during `pauses`; nullopt while a pause that would cover the due time lasts (the
// clock stands).
std::optional<TimePoint> DueTime(TimePoint start, std::chrono::milliseconds window,
                                 const std::vector<Pause>& pauses,
                                 const BusinessCalendar& calendar);

// The ticket's deadlines derived from what it is now and what happened to it: the
// milestones of its current kind in `policy`, counted from its opening on `calendar`,
// the pauses of its history not counted. Recomputed whenever asked, they stay right
// after a pause, a change of kind or severity, or an edit of the policy. A milestone
// whose clock stands has no due time.
std::vector<v1::SlaDeadline> Deadlines(const SlaPolicy& policy, const v1::Ticket& ticket,
                                       const BusinessCalendar& calendar);

// When the ticket first reached `status` or a later one (acknowledged < in progress or
// waiting < resolved < closed); nullopt if it has not.
std::optional<TimePoint> ReachedAt(const v1::Ticket& ticket, v1::TicketStatus status);

// A ticket's SLA at `now`, derived from its history and the policy in force.
struct SlaReview {
  // Each milestone of its current kind: due (unset while the clock stands), warning
  // time, when met, breached.
  std::vector<v1::SlaDeadline> deadlines;
  // The alerts due by now that the ticket has not recorded yet (warnings, breaches,
  // the risk warning), oldest first; a breach of an unmet milestone and the risk
  // warning carry their role and the next rung of the ladder.
  std::vector<v1::SlaAlert> raise;
  // When the next alert falls due; nullopt when none can (all met, or every clock
  // stands).
  std::optional<TimePoint> next;
};
SlaReview Review(const SlaPolicy& policy, const v1::Ticket& ticket, TimePoint now);

// The milestones `after` meets that `before` did not (an agent's change met them).
std::vector<std::string> NewlyMet(const SlaPolicy& policy, const v1::Ticket& before,
                                  const v1::Ticket& after);

}  // namespace mot::ticketing
