#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "touchpoint-scheduler/domain/planned_touchpoint.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// How far from now an event's occurred_at may be.
using EventWindow = TimeWindow;

// InvalidArgument naming the first missing field (event_id, type, customer_id,
// occurred_at), or an occurred_at outside the window around `now`.
absl::Status ValidateEvent(const lifecycle::v1::LifecycleEvent& event, TimePoint now,
                           const EventWindow& window);

// Every touchpoint the event starts: per step triggered by its type whose conditions
// hold, one touchpoint (the first occurrence of a recurring step), due at its timing
// shifted into the owner's contact window, with the id DeterministicId("tp",
// {event_id, step_id}) so that a redelivered event plans the same touchpoints. InvalidArgument
// naming the step and the attribute when one a triggered step requires is missing or malformed
// (never quoting its value). `facts` are the customer's as known before the event.
absl::StatusOr<std::vector<PlannedTouchpoint>> Plan(const Playbook& playbook,
                                                    const lifecycle::v1::LifecycleEvent& event,
                                                    const CustomerFacts& facts = {});

// The facts after the event (milestones, tier and profile attributes, exits).
void ApplyEvent(const Playbook& playbook, const lifecycle::v1::LifecycleEvent& event,
                CustomerFacts* facts);

// For an event that moves an anchor date: the new due time of each step anchored on
// it, by step id (empty for other events). InvalidArgument naming the attribute when
// the new date is missing or malformed.
absl::StatusOr<std::map<std::string, TimePoint>> Reanchor(
    const Playbook& playbook, const lifecycle::v1::LifecycleEvent& event,
    const CustomerFacts& facts);

// What the scheduler accepts from publishers.
struct PlanningLimits {
  EventWindow window;
  // The largest command the scheduler stores and sends; more is refused when planned.
  size_t max_command_bytes = 900'000;
};

// InvalidArgument naming the step whose command is over the limit.
absl::Status CheckPlanned(const std::vector<PlannedTouchpoint>& planned,
                          const PlanningLimits& limits);

// InvalidArgument for an event of a type neither the catalogue nor the playbook knows.
absl::Status UnknownType();

}  // namespace mot::scheduler
