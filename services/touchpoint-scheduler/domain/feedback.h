#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/notification/v1/notification.pb.h"
#include "mot/scheduler/v1/scheduler.pb.h"
#include "mot/survey/v1/survey.pb.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// What a domain event reports about the touchpoint that caused it.
struct Outcome {
  std::string customer_id;
  std::string touchpoint_id;
  v1::TouchpointStatus status = v1::TOUCHPOINT_STATUS_DONE;
  std::string summary;
  std::string ref;
};
// The other services' domain events as playbook triggers: a lifecycle event of type
// ticket.<opened|resolved>, survey.<created|completed|detractor> or
// notification.<delivered|failed|...>, with a deterministic event id (the object's id
// and the type: a redelivery plans nothing new), the customer, the time (`now` when
// the event carries none) and attributes a step's conditions can name (ticket: kind,
// ticket_id; survey: survey_id, stage, instance_id, survey_title, survey_link and
// survey_expires_date, the last in the project's zone of `pb`; notification: channel,
// template_id).
std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(const ticketing::v1::TicketEvent& event,
                                                       TimePoint now);
std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(const survey::v1::SurveyEvent& event,
                                                       TimePoint now, const Playbook& pb);
std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(
    const notification::v1::NotificationEvent& event, TimePoint now);

std::optional<Outcome> OutcomeOf(const ticketing::v1::TicketEvent& event);
std::optional<Outcome> OutcomeOf(const notification::v1::NotificationEvent& event);
std::optional<Outcome> OutcomeOf(const survey::v1::SurveyEvent& event);

// What a domain event of another service means here: the touchpoint it settles (its
// outcome: DONE, FAILED or CANCELLED) and, when one of the playbook's steps is
// triggered (ticket.resolved ...) or cancelled (survey.completed: the reminder) by
// it, the trigger to plan like a lifecycle event.
struct Feedback {
  std::optional<Outcome> outcome;
  std::optional<lifecycle::v1::LifecycleEvent> trigger;
};
// InvalidArgument naming the field when the event lacks what it must carry to mean
// anything (it is dead-lettered, not taken for an event about nobody).
absl::StatusOr<Feedback> FeedbackOf(const ticketing::v1::TicketEvent& event, TimePoint now,
                                    const Playbook& playbook);
absl::StatusOr<Feedback> FeedbackOf(const notification::v1::NotificationEvent& event, TimePoint now,
                                    const Playbook& playbook);
absl::StatusOr<Feedback> FeedbackOf(const survey::v1::SurveyEvent& event, TimePoint now,
                                    const Playbook& playbook);

}  // namespace mot::scheduler
