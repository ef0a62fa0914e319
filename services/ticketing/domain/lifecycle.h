#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "ticketing/domain/sla_policy.h"

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

// Who a ticket goes to: a team, an assignee or both (an empty one stays as it is).
struct Assignment {
  std::string team;
  std::string assignee;
};

// The ticket handed to `to`, recorded in its history (who, why, the team and assignee
// it went to; the status stays). FailedPrecondition for a closed ticket. Replays like
// Transition (the request's `to` is not used).
absl::StatusOr<v1::Ticket> Assign(const v1::Ticket& ticket, const Assignment& to,
                                  const TransitionRequest& request, TimePoint now, bool* replayed);

struct NoteRequest {
  std::string author;
  std::string text;
  std::string request_id;
};

// The ticket with the note added (who, when). A note whose request_id the ticket has
// already changes nothing: the ticket comes back as it is and `*replayed` is set.
v1::Ticket AddNote(const v1::Ticket& ticket, const NoteRequest& note, TimePoint now,
                   bool* replayed);

// The domain event a move from `from` to `to` publishes on mot.ticket.v1 (back in
// progress after a wait: RESUMED).
v1::TicketEventType EventFor(v1::TicketStatus from, v1::TicketStatus to);

}  // namespace mot::ticketing
