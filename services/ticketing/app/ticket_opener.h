#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/record_store.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "ticketing/app/metrics.h"
#include "ticketing/app/sla_watch.h"
#include "ticketing/domain/sla_policy.h"
#include "ticketing/domain/ticket_index.h"

namespace mot::ticketing {

// A ticket to open, made by OpenTicket. After TicketOpener::OpenAll: `fresh` when it
// was stored now; otherwise `ticket` is the one stored before under its id (asked
// again), or `status` says why it was not opened.
struct Opening {
  v1::Ticket ticket;
  bool fresh = false;
  absl::Status status;
};

// Opens tickets together, for the command consumer and the agents' creates alike:
// repeats linked (within the batch too), all stored in one round trip (the first
// writer of an id wins), their SLA timers armed in one and the new ones indexed in
// one; metrics counted. Timers are armed for tickets asked again too, so a crash
// between storing and arming is made good by the retry. Holds no state of its own:
// callers on several threads may share one.
class TicketOpener {
 public:
  TicketOpener(const SlaPolicy& policy, RecordStore& store, SlaWatch& watch, IndexStore& index,
               TicketingMetrics& metrics)
      : policy_(policy), tickets_(store), watch_(watch), index_(index), metrics_(metrics) {}
  void OpenAll(const std::vector<Opening*>& batch);

 private:
  // Links `ticket` to the earlier one it repeats (RepeatedTicket) among the owner's
  // stored tickets and `earlier` ones of the batch; whether it did.
  absl::StatusOr<bool> LinkRepeat(v1::Ticket* ticket, const std::vector<v1::Ticket>& earlier);

  const SlaPolicy& policy_;
  ProtoStore<v1::Ticket> tickets_;
  SlaWatch& watch_;
  IndexStore& index_;
  TicketingMetrics& metrics_;
};

}  // namespace mot::ticketing
