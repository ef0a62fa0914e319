#include "touchpoint-scheduler/app/event_intake.h"

#include "mot/common/topics.h"
#include "mot/common/validate.h"

namespace mot::scheduler {

EventIntake::EventIntake(const LivePlaybook& playbook, Publisher& publisher, const Clock& clock,
                         PlanningLimits limits)
    : playbook_(playbook), publisher_(publisher), clock_(clock), limits_(limits) {}

absl::Status EventIntake::Check(lifecycle::v1::LifecycleEvent& event) const {
  const TimePoint now = clock_.Now();
  if (!event.has_occurred_at()) *event.mutable_occurred_at() = ToProto(now);
  if (auto s = ValidateEvent(event, now, limits_.window); !s.ok()) return s;
  const auto playbook = playbook_.Get();
  if (!playbook->Knows(event.type())) return UnknownType();
  auto plan = Plan(*playbook, event);
  return plan.ok() ? CheckPlanned(*plan, limits_) : plan.status();
}

std::vector<absl::Status> EventIntake::Publish(
    const std::vector<lifecycle::v1::LifecycleEvent>& events, const std::string& caller) {
  Headers headers = {{"content-type", "application/protobuf"}};
  if (!caller.empty()) headers["mot-caller"] = caller;
  std::vector<OutMessage> messages;
  messages.reserve(events.size());
  for (const auto& event : events) {
    messages.push_back({kLifecycleTopic, event.customer_id(), event.SerializeAsString(), headers});
  }
  return publisher_.PublishAll(messages);
}

}  // namespace mot::scheduler
