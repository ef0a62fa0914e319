#include "touchpoint-scheduler/app/outcome_consumer.h"

#include <memory>
#include <utility>

#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "touchpoint-scheduler/domain/feedback.h"

namespace mot::scheduler {
namespace {

// What the message on one of the domain event topics means (nothing on another topic).
absl::StatusOr<Feedback> FeedbackFrom(const Incoming& in, TimePoint now, const Playbook& pb) {
  const auto decoded = [&](auto e) -> absl::StatusOr<Feedback> {
    if (auto s = DecodeMessage(in, &e); !s.ok()) return s;
    return FeedbackOf(e, now, pb);
  };
  if (in.topic == kTicketEventsTopic) return decoded(ticketing::v1::TicketEvent());
  if (in.topic == kNotificationEventsTopic) return decoded(notification::v1::NotificationEvent());
  if (in.topic == kSurveyEventsTopic) return decoded(survey::v1::SurveyEvent());
  return Feedback{};
}

}  // namespace

void OutcomeHandler::HandleBatch(std::vector<Work>& batch) {
  const TimePoint now = clock_.Now();
  std::vector<Outcome> outcomes;
  std::vector<size_t> with_outcome;
  std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>> triggers;
  const std::shared_ptr<const Playbook> pb = playbook_.Get();
  for (size_t i = 0; i < batch.size(); ++i) {
    auto feedback = FeedbackFrom(batch[i].msg, now, *pb);
    batch[i].status = feedback.status();
    if (!feedback.ok()) continue;
    if (feedback->outcome) {
      outcomes.push_back(*std::move(feedback->outcome));
      with_outcome.push_back(i);
    }
    if (feedback->trigger) triggers.emplace_back(i, *std::move(feedback->trigger));
  }
  if (auto s = store_.AdvanceAll(outcomes, now); !s.ok()) {
    for (size_t i : with_outcome) batch[i].status = s;
    return;
  }
  if (!triggers.empty())
    triggers_.HandleEvents(*pb, triggers, batch, now, LifecycleHandler::OfForgotten::kDrop);
}

}  // namespace mot::scheduler
