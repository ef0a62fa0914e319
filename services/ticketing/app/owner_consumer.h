#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "ticketing/app/metrics.h"

namespace mot::ticketing {

// Consumes mot.lifecycle.v1 (group ticketing.owners): customer_forgotten erases the
// free text of every ticket of the owner (EraseText; at most kOwnerTicketsMax), each
// stored with a compare and set, so a change made meanwhile is erased too; a
// redelivery finds them erased and changes nothing. Other event types pass, and so
// does an event that does not decode (the scheduler owns this topic's dead letters);
// InvalidArgument "customer_id is required" for a customer_forgotten naming nobody.
// A store failure is retried (the batch's later messages again after it).
class OwnerConsumer {
 public:
  OwnerConsumer(RecordStore& store, const Clock& clock, TicketingMetrics& metrics)
      : store_(store), clock_(clock), metrics_(metrics) {}
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  // Erases the text of the owner's tickets: how many it changed.
  absl::StatusOr<int> Forget(const std::string& customer_id);
  // One ticket, stored as `bytes`, erased (read again while it changes): whether it
  // changed.
  absl::StatusOr<bool> Erase(const std::string& id, std::string bytes);

  RecordStore& store_;
  const Clock& clock_;
  TicketingMetrics& metrics_;
};

}  // namespace mot::ticketing
