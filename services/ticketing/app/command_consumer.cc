#include "ticketing/app/command_consumer.h"

#include "mot/common/codec.h"
#include "mot/common/validate.h"
#include "ticketing/domain/ticket_messages.h"

namespace mot::ticketing {

void CommandConsumer::HandleBatch(std::vector<Work>& batch) {
  std::vector<Opening> openings(batch.size());
  std::vector<Opening*> all;
  for (size_t i = 0; i < batch.size(); ++i) {
    v1::OpenTicketCommand cmd;
    openings[i].status = DecodeMessage(batch[i].msg, &cmd);
    if (openings[i].status.ok() && cmd.has_requested_at()) {
      openings[i].status = CheckWithin(cmd.requested_at(), "requested_at", clock_.Now(), times_);
    }
    if (openings[i].status.ok()) {
      auto ticket = OpenTicket(policy_, cmd);
      if (ticket.ok())
        openings[i].ticket = *std::move(ticket);
      else
        openings[i].status = ticket.status();
    }
    all.push_back(&openings[i]);
  }
  opener_.OpenAll(all);
  for (size_t i = 0; i < batch.size(); ++i) {
    Work& w = batch[i];
    w.status = openings[i].status;
    if (!w.status.ok()) continue;
    for (const auto& m : MessagesOfChange(policy_, {}, openings[i].ticket)) {
      w.status = w.out->Publish(m.topic, m.key, m.payload);
      if (!w.status.ok()) break;
    }
  }
}

}  // namespace mot::ticketing
