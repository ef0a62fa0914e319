#include "ticketing/domain/erasure.h"

#include <string>

namespace mot::ticketing {
namespace {

bool IsErasureEntry(const v1::TicketChange& c) {
  return c.actor() == kErasureActor && c.reason() == kErasureReason && c.request_id().empty();
}

// Erases `text` unless it is empty or erased already; whether it did.
bool Erase(std::string* text) {
  if (text->empty() || *text == kErased) return false;
  *text = kErased;
  return true;
}

}  // namespace

v1::Ticket EraseText(const v1::Ticket& ticket, TimePoint now) {
  v1::Ticket out = ticket;
  bool changed = Erase(out.mutable_summary());
  for (auto& note : *out.mutable_notes()) changed |= Erase(note.mutable_text());
  bool recorded = false;
  for (auto& change : *out.mutable_history()) {
    if (IsErasureEntry(change)) {
      recorded = true;
      continue;
    }
    changed |= Erase(change.mutable_reason());
  }
  if (changed || !recorded) {
    auto* entry = out.add_history();
    entry->set_from(out.status());
    entry->set_to(out.status());
    entry->set_actor(kErasureActor);
    entry->set_reason(kErasureReason);
    *entry->mutable_at() = ToProto(now);
  }
  return out;
}

bool IsErased(const v1::Ticket& ticket) {
  // EraseText adds its entry exactly when there is something left to erase.
  return EraseText(ticket, TimePoint{}).history_size() == ticket.history_size();
}

}  // namespace mot::ticketing
