#include "ticketing/domain/ticket_state.h"

namespace mot::ticketing {

bool IsOpen(const v1::Ticket& t) {
  return t.status() != v1::TICKET_STATUS_RESOLVED && t.status() != v1::TICKET_STATUS_CLOSED;
}

bool IsBreached(const v1::Ticket& t) {
  for (const auto& a : t.alerts()) {
    if (a.kind() == v1::SLA_ALERT_KIND_BREACHED) return true;
  }
  return false;
}

Changed ReplayOfChange(const v1::Ticket& t, const std::string& request_id) {
  int i = 0;
  while (i < t.history_size() && t.history(i).request_id() != request_id) ++i;
  Changed c{t, t, true};
  if (i == t.history_size()) return c;
  const v1::TicketChange& change = t.history(i);
  c.before.mutable_history()->DeleteSubrange(i, t.history_size() - i);
  c.before.set_status(change.from());
  if (!change.from_kind().empty()) c.before.set_kind(change.from_kind());
  c.after = c.before;
  *c.after.add_history() = change;
  c.after.set_status(change.to());
  if (!change.to_kind().empty()) c.after.set_kind(change.to_kind());
  return c;
}

Changed ReplayOfNote(const v1::Ticket& t, const std::string& request_id) {
  Changed c{t, t, true};
  for (int i = 0; i < t.notes_size(); ++i) {
    if (t.notes(i).request_id() == request_id) {
      c.before.mutable_notes()->DeleteSubrange(i, t.notes_size() - i);
      break;
    }
  }
  return c;
}

absl::StatusOr<Changed> ChangedBy(const v1::Ticket& t, absl::StatusOr<v1::Ticket> next,
                                  bool replayed, const std::string& request_id) {
  if (!next.ok()) return next.status();
  if (replayed) return ReplayOfChange(t, request_id);
  return Changed{t, *std::move(next), false};
}

}  // namespace mot::ticketing
