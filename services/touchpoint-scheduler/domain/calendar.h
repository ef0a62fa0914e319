#pragma once

#include <vector>

#include "mot/common/clock.h"
#include "touchpoint-scheduler/domain/planned_touchpoint.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// The calendar steps' touchpoints for one customer on the dates in [from, to] (the
// owner's local dates): festivals listed in the playbook and the birthday, where the
// step's conditions hold and no journey exit the step obeys has been seen. Ids are
// DeterministicId("tp", {"calendar", step_id, date, customer_id}): planned twice,
// stored once.
std::vector<PlannedTouchpoint> PlanCalendar(const Playbook& playbook, const CustomerFacts& facts,
                                            TimePoint from, TimePoint to);

// Whether a festival step has a date in [from, to] (then every customer is looked
// at), and whether a birthday step exists (then every customer with a birthday).
bool HasFestivalDates(const Playbook& playbook, TimePoint from, TimePoint to);
bool HasBirthdaySteps(const Playbook& playbook);

}  // namespace mot::scheduler
