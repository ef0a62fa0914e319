#pragma once

#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "touchpoint-scheduler/app/live_playbook.h"
#include "touchpoint-scheduler/app/metrics.h"
#include "touchpoint-scheduler/domain/journey_store.h"
#include "touchpoint-scheduler/domain/planner.h"

namespace mot::scheduler {

// Consumes mot.lifecycle.v1: validates the event, records signing/handover
// milestones, and stores every touchpoint the playbook plans for it (a batch of
// events in two round trips). A touchpoint already due is stored DISPATCHED and its
// command published with the event's handling (no timer: the event's offset is
// stored once the command is acknowledged); the others are armed, and `planned`
// hears of the earliest due time among them.
class LifecycleHandler {
 public:
  LifecycleHandler(const LivePlaybook& playbook, JourneyStore& store, const Clock& clock,
                   PlanningLimits limits, SchedulerMetrics& metrics,
                   std::function<void(TimePoint earliest_due)> planned)
      : playbook_(playbook),
        store_(store),
        clock_(clock),
        limits_(limits),
        metrics_(metrics),
        planned_(std::move(planned)) {}
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }
  // What becomes of an event about a forgotten owner: refused to the dead-letter topic
  // with the reason (a lifecycle event), or dropped (a trigger derived from another
  // service's outcome, whose message did its part already).
  enum class OfForgotten { kRefuse, kDrop };
  // Plans decoded events, each of the batch's message at its index (sets its status).
  // customer_forgotten ends the customer's journey (every scheduled touchpoint
  // CANCELLED "forgotten") and erases their record; their later events, in this batch
  // or after, are set aside as `of_forgotten` says.
  void HandleEvents(const Playbook& playbook,
                    std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>>& events,
                    std::vector<Work>& batch, TimePoint now,
                    OfForgotten of_forgotten = OfForgotten::kRefuse);

 private:
  struct Planned {
    std::vector<size_t> events;  // indexes into the batch
    std::vector<size_t> owner;   // per touchpoint, its event's index into the batch
    std::vector<PlannedTouchpoint> touchpoints;
    std::vector<CustomerUpdate> updates;
    std::vector<Amendment> amendments;  // made before the touchpoints are stored
    std::set<std::string> customers;
  };
  // Takes the events about forgotten owners out of `events`; false (every event's
  // status set) when the tombstones cannot be read.
  bool SetAsideForgotten(std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>>& events,
                         std::vector<Work>& batch, OfForgotten of_forgotten);
  // Stores what the events of `segment` planned and sends what is due now.
  absl::Status Store(Planned& segment, std::vector<Work>& batch, TimePoint now);

  const LivePlaybook& playbook_;
  JourneyStore& store_;
  const Clock& clock_;
  const PlanningLimits limits_;
  SchedulerMetrics& metrics_;
  std::function<void(TimePoint)> planned_;
};
}  // namespace mot::scheduler
