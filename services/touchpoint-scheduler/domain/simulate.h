#pragma once

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/scheduler/v1/scheduler.pb.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// A journey rehearsed with no side effect: the owner's events in time order, each
// firing what fell due before it, then cancelling, moving and planning as the
// scheduler does; calendar steps on their dates; what is due by `until` fired.
// InvalidArgument naming the event (by its index) that a step refuses. `heard_at`:
// when the mesh hears of events that occurred before it (history loaded then), so
// that what is past its lateness is SKIPPED as the scheduler would (ApplyLateness).
absl::StatusOr<std::vector<v1::Touchpoint>> Simulate(
    const Playbook& playbook, const CustomerFacts& profile,
    std::vector<lifecycle::v1::LifecycleEvent> events, TimePoint until,
    std::optional<TimePoint> heard_at = std::nullopt);

// The simulation a SimulateJourney request asks for; InvalidArgument naming the
// field that is wrong.
absl::StatusOr<std::vector<v1::Touchpoint>> SimulateRequest(const Playbook& playbook,
                                                            const v1::SimulateJourneyRequest& req);

}  // namespace mot::scheduler
