#pragma once

#include <vector>

#include "absl/status/status.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "touchpoint-scheduler/app/lifecycle_consumer.h"
#include "touchpoint-scheduler/app/live_playbook.h"
#include "touchpoint-scheduler/domain/journey_store.h"

namespace mot::scheduler {

// Consumes the other services' domain events and moves touchpoints to DONE/FAILED
// (a batch in one round trip). The domain events that trigger a step (TriggerOf:
// ticket.resolved, survey.detractor ...) or cancel one are planned by `triggers`
// like lifecycle events.
class OutcomeHandler {
 public:
  OutcomeHandler(JourneyStore& store, const Clock& clock, const LivePlaybook& playbook,
                 LifecycleHandler& triggers)
      : store_(store), clock_(clock), playbook_(playbook), triggers_(triggers) {}
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in) { return HandleOne(*this, in, none_); }
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  NoPublisher none_;
  JourneyStore& store_;
  const Clock& clock_;
  const LivePlaybook& playbook_;
  LifecycleHandler& triggers_;
};

}  // namespace mot::scheduler
