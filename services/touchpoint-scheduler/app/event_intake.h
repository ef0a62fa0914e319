#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mot/common/clock.h"
#include "mot/common/messaging.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "touchpoint-scheduler/app/live_playbook.h"
#include "touchpoint-scheduler/domain/planner.h"

namespace mot::scheduler {

// Events taken in over an API (gRPC IngestEvent, CloudEvents over HTTP) rather than
// published on Kafka by their system: checked as the lifecycle consumer will plan them,
// so a caller hears of a bad event at once, then published on mot.lifecycle.v1 keyed by
// customer, each answered once the broker has acknowledged it.
class EventIntake {
 public:
  EventIntake(const LivePlaybook& playbook, Publisher& publisher, const Clock& clock,
              PlanningLimits limits);

  // The event as the playbook in force would plan it (occurred_at, when missing, is
  // now): InvalidArgument naming the field and the rule ("customer_id is required").
  absl::Status Check(lifecycle::v1::LifecycleEvent& event) const;
  // Checked events, all in flight together; one status per event, in order (Unavailable
  // when the broker did not take it: worth a retry). The publisher's authenticated name
  // travels with each (header mot-caller).
  std::vector<absl::Status> Publish(const std::vector<lifecycle::v1::LifecycleEvent>& events,
                                    const std::string& caller);

 private:
  const LivePlaybook& playbook_;
  Publisher& publisher_;
  const Clock& clock_;
  const PlanningLimits limits_;
};

}  // namespace mot::scheduler
