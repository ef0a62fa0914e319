#pragma once

#include <vector>

#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "ticketing/app/ticket_opener.h"
#include "ticketing/domain/sla_policy.h"

namespace mot::ticketing {

// Consumes OpenTicketCommand (mot.ticketing.commands.v1): opens each ticket once
// (idempotent by command id), then publishes TicketEvent OPENED on mot.ticket.v1 (again
// on a redelivery, so a crash between the two never loses the event). A command whose
// requested_at lies outside `times` around now is refused (dead-lettered).
class CommandConsumer {
 public:
  CommandConsumer(const SlaPolicy& policy, TicketOpener& opener, const Clock& clock,
                  TimeWindow times)
      : policy_(policy), opener_(opener), clock_(clock), times_(times) {}
  // Opens the batch's tickets together (TicketOpener); publishes each event through its `out`.
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  const SlaPolicy& policy_;
  TicketOpener& opener_;
  const Clock& clock_;
  const TimeWindow times_;
};

}  // namespace mot::ticketing
