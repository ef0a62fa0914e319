#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/sla_policy.h"
#include "mot/common/clock.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::ticketing {

// A ticket's life: new -> acknowledged -> in progress -> resolved -> closed; waiting on
// the owner or on parts pauses it (and resumes to in progress); a resolved or closed
// ticket may be reopened.
const std::vector<v1::TicketStatus>& NextStatuses(v1::TicketStatus from);

// "WAITING_ON_OWNER": the status without its enum's prefix.
std::string StatusName(v1::TicketStatus status);

struct TransitionRequest {
  v1::TicketStatus to = v1::TICKET_STATUS_UNSPECIFIED;
  std::string actor;
  std::string reason;
  std::string request_id;
};

// The ticket after the change, recorded in its history (who, when, why).
// InvalidArgument naming the field (actor; a reason for waiting and reopening; an
// unknown target); FailedPrecondition naming the current status and where it may go
// from there. A request whose request_id is in the history already changes nothing:
// the ticket comes back as it is and `*replayed` is set.
absl::StatusOr<v1::Ticket> Transition(const v1::Ticket& ticket, const TransitionRequest& request,
                                      TimePoint now, bool* replayed);

// The ticket as another kind (a change of severity), recorded in its history with who
// and why (both required). InvalidArgument naming the field; FailedPrecondition for a
// closed ticket or a kind `policy` does not know. Replays like Transition (the
// request's `to` is not used).
absl::StatusOr<v1::Ticket> Reclassify(const SlaPolicy& policy, const v1::Ticket& ticket,
                                      const std::string& kind, const TransitionRequest& request,
                                      TimePoint now, bool* replayed);

// The domain event a move from `from` to `to` publishes on mot.ticket.v1 (back in
// progress after a wait: RESUMED).
v1::TicketEventType EventFor(v1::TicketStatus from, v1::TicketStatus to);

}  // namespace mot::ticketing
