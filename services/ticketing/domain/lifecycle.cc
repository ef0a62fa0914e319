#include "ticketing/domain/lifecycle.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mot/common/validate.h"

namespace mot::ticketing {

using v1::TicketStatus;

const std::vector<TicketStatus>& NextStatuses(TicketStatus from) {
  static const std::map<TicketStatus, std::vector<TicketStatus>> kNext = {
      {v1::TICKET_STATUS_NEW, {v1::TICKET_STATUS_ACKNOWLEDGED}},
      {v1::TICKET_STATUS_ACKNOWLEDGED,
       {v1::TICKET_STATUS_IN_PROGRESS, v1::TICKET_STATUS_WAITING_ON_OWNER,
        v1::TICKET_STATUS_WAITING_ON_PARTS, v1::TICKET_STATUS_RESOLVED}},
      {v1::TICKET_STATUS_IN_PROGRESS,
       {v1::TICKET_STATUS_WAITING_ON_OWNER, v1::TICKET_STATUS_WAITING_ON_PARTS,
        v1::TICKET_STATUS_RESOLVED}},
      {v1::TICKET_STATUS_WAITING_ON_OWNER,
       {v1::TICKET_STATUS_IN_PROGRESS, v1::TICKET_STATUS_RESOLVED}},
      {v1::TICKET_STATUS_WAITING_ON_PARTS,
       {v1::TICKET_STATUS_IN_PROGRESS, v1::TICKET_STATUS_RESOLVED}},
      {v1::TICKET_STATUS_RESOLVED, {v1::TICKET_STATUS_CLOSED, v1::TICKET_STATUS_REOPENED}},
      {v1::TICKET_STATUS_CLOSED, {v1::TICKET_STATUS_REOPENED}},
      {v1::TICKET_STATUS_REOPENED,
       {v1::TICKET_STATUS_ACKNOWLEDGED, v1::TICKET_STATUS_IN_PROGRESS, v1::TICKET_STATUS_RESOLVED}},
  };
  static const std::vector<TicketStatus> kNone;
  auto it = kNext.find(from);
  return it == kNext.end() ? kNone : it->second;
}

std::string StatusName(TicketStatus status) {
  const std::string name = v1::TicketStatus_Name(status);
  const std::string prefix = "TICKET_STATUS_";
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

namespace {

bool Replayed(const v1::Ticket& ticket, const TransitionRequest& r) {
  if (r.request_id.empty()) return false;
  for (const auto& c : ticket.history()) {
    if (c.request_id() == r.request_id) return true;
  }
  return false;
}

v1::TicketChange* Record(v1::Ticket* t, const TransitionRequest& r, TimePoint now) {
  auto* change = t->add_history();
  change->set_from(t->status());
  change->set_to(t->status());
  change->set_actor(r.actor);
  change->set_reason(r.reason);
  change->set_request_id(r.request_id);
  *change->mutable_at() = ToProto(now);
  return change;
}

}  // namespace

absl::StatusOr<v1::Ticket> Reclassify(const SlaPolicy& policy, const v1::Ticket& ticket,
                                      const std::string& kind, const TransitionRequest& r,
                                      TimePoint now, bool* replayed) {
  *replayed = Replayed(ticket, r);
  if (*replayed) return ticket;
  if (auto s = RequireFields({{"kind", &kind}, {"actor", &r.actor}, {"reason", &r.reason}});
      !s.ok()) {
    return s;
  }
  if (policy.Find(kind) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind is unknown; known kinds: ", policy.KindList()));
  }
  if (ticket.status() == v1::TICKET_STATUS_CLOSED) {
    return absl::FailedPreconditionError("the ticket is CLOSED; reopen it to change its kind");
  }
  if (kind == ticket.kind()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the ticket is already of kind '", kind, "'"));
  }
  v1::Ticket out = ticket;
  auto* change = Record(&out, r, now);
  change->set_from_kind(ticket.kind());
  change->set_to_kind(kind);
  out.set_kind(kind);
  return out;
}

absl::StatusOr<v1::Ticket> Transition(const v1::Ticket& ticket, const TransitionRequest& r,
                                      TimePoint now, bool* replayed) {
  *replayed = Replayed(ticket, r);
  if (*replayed) return ticket;
  if (r.actor.empty()) return absl::InvalidArgumentError("actor is required");
  if (r.to == v1::TICKET_STATUS_UNSPECIFIED || !v1::TicketStatus_IsValid(r.to) ||
      r.to == v1::TICKET_STATUS_NEW) {
    return absl::InvalidArgumentError(
        "to must be ACKNOWLEDGED, IN_PROGRESS, WAITING_ON_OWNER, WAITING_ON_PARTS, RESOLVED, "
        "CLOSED or REOPENED");
  }
  const bool needs_reason = r.to == v1::TICKET_STATUS_WAITING_ON_OWNER ||
                            r.to == v1::TICKET_STATUS_WAITING_ON_PARTS ||
                            r.to == v1::TICKET_STATUS_REOPENED;
  if (needs_reason && r.reason.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("reason is required to go to ", StatusName(r.to)));
  }
  const auto& next = NextStatuses(ticket.status());
  if (std::find(next.begin(), next.end(), r.to) == next.end()) {
    std::vector<std::string> names;
    for (auto s : next) names.push_back(StatusName(s));
    return absl::FailedPreconditionError(absl::StrCat(
        "the ticket is ", StatusName(ticket.status()), "; it cannot go to ", StatusName(r.to),
        names.empty() ? ""
                      : absl::StrCat(" (from ", StatusName(ticket.status()), ": ",
                                     absl::StrJoin(names, ", "), ")")));
  }
  v1::Ticket out = ticket;
  Record(&out, r, now)->set_to(r.to);
  out.set_status(r.to);
  return out;
}

absl::StatusOr<v1::Ticket> Assign(const v1::Ticket& ticket, const Assignment& to,
                                  const TransitionRequest& r, TimePoint now, bool* replayed) {
  *replayed = Replayed(ticket, r);
  if (*replayed) return ticket;
  if (ticket.status() == v1::TICKET_STATUS_CLOSED) {
    return absl::FailedPreconditionError("the ticket is CLOSED; reopen it to reassign it");
  }
  v1::Ticket out = ticket;
  if (!to.team.empty()) out.set_team(to.team);
  if (!to.assignee.empty()) out.set_assignee(to.assignee);
  auto* change = Record(&out, r, now);
  change->set_to_team(out.team());
  change->set_to_assignee(out.assignee());
  return out;
}

v1::Ticket AddNote(const v1::Ticket& ticket, const NoteRequest& n, TimePoint now, bool* replayed) {
  *replayed = false;
  for (const auto& note : ticket.notes()) {
    if (note.request_id() == n.request_id) {
      *replayed = true;
      return ticket;
    }
  }
  v1::Ticket out = ticket;
  auto* note = out.add_notes();
  note->set_author(n.author);
  note->set_text(n.text);
  note->set_request_id(n.request_id);
  *note->mutable_at() = ToProto(now);
  return out;
}

v1::TicketEventType EventFor(TicketStatus from, TicketStatus to) {
  switch (to) {
    case v1::TICKET_STATUS_ACKNOWLEDGED:
      return v1::TICKET_EVENT_TYPE_ACKNOWLEDGED;
    case v1::TICKET_STATUS_IN_PROGRESS:
      return from == v1::TICKET_STATUS_WAITING_ON_OWNER ||
                     from == v1::TICKET_STATUS_WAITING_ON_PARTS
                 ? v1::TICKET_EVENT_TYPE_RESUMED
                 : v1::TICKET_EVENT_TYPE_STARTED;
    case v1::TICKET_STATUS_WAITING_ON_OWNER:
    case v1::TICKET_STATUS_WAITING_ON_PARTS:
      return v1::TICKET_EVENT_TYPE_PAUSED;
    case v1::TICKET_STATUS_RESOLVED:
      return v1::TICKET_EVENT_TYPE_RESOLVED;
    case v1::TICKET_STATUS_CLOSED:
      return v1::TICKET_EVENT_TYPE_CLOSED;
    case v1::TICKET_STATUS_REOPENED:
      return v1::TICKET_EVENT_TYPE_REOPENED;
    default:
      return v1::TICKET_EVENT_TYPE_UNSPECIFIED;
  }
}

}  // namespace mot::ticketing
