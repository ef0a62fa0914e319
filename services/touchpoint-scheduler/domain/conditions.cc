#include "touchpoint-scheduler/domain/conditions.h"

#include <algorithm>

#include "touchpoint-scheduler/domain/stage.h"

namespace mot::scheduler {

const std::string* Attribute(const lifecycle::v1::LifecycleEvent* event, const std::string& key) {
  if (event == nullptr) return nullptr;
  auto it = event->attributes().find(key);
  return it == event->attributes().end() || it->second.empty() ? nullptr : &it->second;
}

std::string ConditionValue(const std::string& key, const lifecycle::v1::LifecycleEvent* event,
                           const CustomerFacts& facts, TimePoint at, const StageWindows& stages) {
  if (key == "stage") return DeriveStage(facts.signed_at, facts.handover_at, at, stages);
  if (const std::string* v = Attribute(event, key)) return *v;
  if (key == "tier") return facts.tier;
  if (key == "segment") return facts.segment;
  if (key == "profile") return facts.profile_type;
  return "";
}

bool Holds(const Step& step, const lifecycle::v1::LifecycleEvent* event, const CustomerFacts& facts,
           TimePoint at, const StageWindows& stages) {
  return std::all_of(step.when.begin(), step.when.end(), [&](const Condition& c) {
    return Contains(c.values, ConditionValue(c.key, event, facts, at, stages));
  });
}

}  // namespace mot::scheduler
