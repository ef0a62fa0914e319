#include "ticketing/app/ticket_opener.h"

#include "mot/common/clock.h"
#include "mot/common/log.h"
#include "ticketing/domain/repeat_complaints.h"

namespace mot::ticketing {

absl::StatusOr<bool> TicketOpener::LinkRepeat(v1::Ticket* t,
                                              const std::vector<v1::Ticket>& earlier) {
  const auto& rule = policy_.repeat_complaints();
  if (!MayRepeat(rule, *t)) return false;
  auto owners = tickets_.ListByCustomer(t->customer_id(), 1000);
  if (!owners.ok()) return owners.status();
  std::vector<const v1::Ticket*> candidates;
  for (const auto& o : *owners) candidates.push_back(&o);
  for (const auto& o : earlier) candidates.push_back(&o);
  const v1::Ticket* repeated = RepeatedTicket(rule, *t, candidates);
  if (repeated == nullptr) return false;
  t->set_repeat_of(repeated->id());
  return true;
}

void TicketOpener::OpenAll(const std::vector<Opening*>& batch) {
  std::vector<Opening*> valid;
  std::vector<v1::Ticket> earlier;  // the batch's tickets before this one, for repeats
  for (Opening* o : batch) {
    o->fresh = false;
    if (!o->status.ok()) continue;
    if (auto linked = LinkRepeat(&o->ticket, earlier); !linked.ok()) {
      o->status = linked.status();
      continue;
    }
    earlier.push_back(o->ticket);
    valid.push_back(o);
  }
  auto fail_all = [&](const absl::Status& s) {
    for (Opening* o : valid) o->status = s;
  };
  std::vector<NewRecord> records;
  records.reserve(valid.size());
  for (const Opening* o : valid) {
    records.push_back({o->ticket.id(), o->ticket.customer_id(),
                       ToUnixMillis(FromProto(o->ticket.opened_at())),
                       o->ticket.SerializeAsString()});
  }
  auto inserted = tickets_.InsertAll(records);
  if (!inserted.ok()) return fail_all(inserted.status());
  // Opened before (asked again): the ticket as it was stored.
  std::vector<std::string> existing;
  std::vector<Opening*> existing_of;
  for (size_t k = 0; k < valid.size(); ++k) {
    valid[k]->fresh = (*inserted)[k];
    if (valid[k]->fresh) {
      Log().info("ticket {} opened kind={} deadlines={}", valid[k]->ticket.id(),
                 valid[k]->ticket.kind(), valid[k]->ticket.deadlines_size());
    } else {
      existing.push_back(valid[k]->ticket.id());
      existing_of.push_back(valid[k]);
    }
  }
  auto stored = tickets_.GetAll(existing);
  if (!stored.ok()) return fail_all(stored.status());
  for (size_t j = 0; j < existing.size(); ++j) {
    if ((*stored)[j]) existing_of[j]->ticket = std::move(*(*stored)[j]);
  }
  std::vector<v1::Ticket> tickets;
  tickets.reserve(valid.size());
  for (const Opening* o : valid) tickets.push_back(o->ticket);
  if (auto s = watch_.Watch(tickets); !s.ok()) return fail_all(s);
  std::vector<IndexStore::Op> ops;
  for (const Opening* o : valid) {
    if (!o->fresh) continue;  // indexed when first stored
    for (auto& op : IndexOps({}, o->ticket)) ops.push_back(std::move(op));
  }
  if (auto s = index_.Apply(ops); !s.ok()) return fail_all(s);
  for (const Opening* o : valid) {
    if (o->fresh) metrics_.CountChange({}, o->ticket);
  }
}

}  // namespace mot::ticketing
