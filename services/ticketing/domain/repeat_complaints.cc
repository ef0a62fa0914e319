#include "ticketing/domain/repeat_complaints.h"

#include "mot/common/clock.h"

namespace mot::ticketing {

bool MayRepeat(const RepeatComplaints& rule, const v1::Ticket& ticket) {
  return rule.kinds.count(ticket.kind()) > 0 && !ticket.category().empty();
}

const v1::Ticket* RepeatedTicket(const RepeatComplaints& rule, const v1::Ticket& ticket,
                                 const std::vector<const v1::Ticket*>& earlier) {
  if (!MayRepeat(rule, ticket)) return nullptr;
  const TimePoint opened = FromProto(ticket.opened_at());
  const v1::Ticket* latest = nullptr;
  for (const v1::Ticket* o : earlier) {
    const TimePoint at = FromProto(o->opened_at());
    if (o->id() == ticket.id() || o->customer_id() != ticket.customer_id() ||
        !rule.kinds.count(o->kind()) || o->unit_id() != ticket.unit_id() ||
        o->category() != ticket.category() || at > opened || opened - at > rule.within) {
      continue;
    }
    if (latest == nullptr || FromProto(latest->opened_at()) < at) latest = o;
  }
  return latest;
}

}  // namespace mot::ticketing
