#pragma once

#include <string>

#include "mot/common/clock.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// The event's non-empty attribute `key`; nullptr when it has none (or no event).
const std::string* Attribute(const lifecycle::v1::LifecycleEvent* event, const std::string& key);

// The value a condition looks at: the event's attribute, else the profile's.
std::string ConditionValue(const std::string& key, const lifecycle::v1::LifecycleEvent* event,
                           const CustomerFacts& facts, TimePoint at, const StageWindows& stages);

// Whether every condition of the step holds at `at` (event: nullptr for calendar steps).
bool Holds(const Step& step, const lifecycle::v1::LifecycleEvent* event, const CustomerFacts& facts,
           TimePoint at, const StageWindows& stages);

}  // namespace mot::scheduler
