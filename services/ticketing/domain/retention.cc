#include "ticketing/domain/retention.h"

namespace mot::ticketing {

std::optional<TimePoint> RetainedUntil(const v1::Ticket& ticket, const Retention& retention) {
  if (ticket.status() != v1::TICKET_STATUS_CLOSED) return std::nullopt;
  for (int i = ticket.history_size() - 1; i >= 0; --i) {
    const auto& c = ticket.history(i);
    if (c.to() == v1::TICKET_STATUS_CLOSED && c.from() != v1::TICKET_STATUS_CLOSED) {
      return FromProto(c.at()) + retention.after_close;
    }
  }
  // Closed with no close recorded (the lifecycle always records one): counted from
  // the opening, so that the record still goes.
  return FromProto(ticket.opened_at()) + retention.after_close;
}

int64_t ExpiryOf(const v1::Ticket& ticket, const Retention& retention) {
  const auto until = RetainedUntil(ticket, retention);
  return until ? ToUnixMillis(*until) : 0;
}

bool ChangesRetention(const v1::Ticket& before, const v1::Ticket& after) {
  return (before.status() == v1::TICKET_STATUS_CLOSED) !=
         (after.status() == v1::TICKET_STATUS_CLOSED);
}

}  // namespace mot::ticketing
