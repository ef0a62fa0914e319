#pragma once

#include <vector>

#include "mot/common/clock.h"
#include "touchpoint-scheduler/domain/planned_touchpoint.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// What a step's lateness limit makes of touchpoints planned at `now` (history loaded,
// an event published late): a moment that has passed stays passed (DOMAIN section 7).
// A touchpoint due more than its step's max_lateness before `now`, or (a stage-bound
// step) due in a stage the owner has left by `now`, becomes SKIPPED with the reason
// ("due 2025-03-02, 640 days before the mesh heard of it") and no command. A recurring
// one skips its stale occurrences: the first one still in time is planned in its place
// (its own id, as the dispatcher would have made it), and the skipped record says how
// many were passed. `facts` are the owner's after the event. The rest are unchanged.
std::vector<PlannedTouchpoint> ApplyLateness(const Playbook& playbook,
                                             std::vector<PlannedTouchpoint> planned,
                                             const CustomerFacts& facts, TimePoint now);

}  // namespace mot::scheduler
