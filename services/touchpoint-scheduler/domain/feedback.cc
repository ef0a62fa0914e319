#include "touchpoint-scheduler/domain/feedback.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace mot::scheduler {

namespace {

// "TICKET_EVENT_TYPE_RESOLVED" -> "ticket.resolved".
std::string TriggerType(const std::string& prefix, const std::string& enum_name,
                        const std::string& enum_prefix) {
  std::string name =
      enum_name.rfind(enum_prefix, 0) == 0 ? enum_name.substr(enum_prefix.size()) : enum_name;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return absl::StrCat(prefix, ".", name);
}

lifecycle::v1::LifecycleEvent Trigger(const std::string& type, const std::string& object_id,
                                      const std::string& customer_id, TimePoint at,
                                      const std::string& source) {
  lifecycle::v1::LifecycleEvent e;
  e.set_type(type);
  e.set_event_id(absl::StrCat(type, ":", object_id));
  e.set_customer_id(customer_id);
  e.set_source(source);
  *e.mutable_occurred_at() = ToProto(at);
  return e;
}

}  // namespace

std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(const ticketing::v1::TicketEvent& event,
                                                       TimePoint now) {
  const auto& t = event.ticket();
  if (t.id().empty() || t.customer_id().empty() ||
      event.type() == ticketing::v1::TICKET_EVENT_TYPE_UNSPECIFIED) {
    return std::nullopt;
  }
  auto e = Trigger(TriggerType("ticket", ticketing::v1::TicketEventType_Name(event.type()),
                               "TICKET_EVENT_TYPE_"),
                   t.id(), t.customer_id(),
                   event.has_occurred_at() ? FromProto(event.occurred_at()) : now, "ticketing");
  e.set_project_id(t.project_id());
  e.set_unit_id(t.unit_id());
  (*e.mutable_attributes())["kind"] = t.kind();
  (*e.mutable_attributes())["ticket_id"] = t.id();
  return e;
}

std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(const survey::v1::SurveyEvent& event,
                                                       TimePoint now, const Playbook& pb) {
  const auto& s = event.instance();
  if (s.id().empty() || s.customer_id().empty() ||
      event.type() == survey::v1::SURVEY_EVENT_TYPE_UNSPECIFIED) {
    return std::nullopt;
  }
  auto e = Trigger(
      TriggerType("survey", survey::v1::SurveyEventType_Name(event.type()), "SURVEY_EVENT_TYPE_"),
      s.id(), s.customer_id(), now, "survey");
  e.set_project_id(s.project_id());
  e.set_unit_id(s.unit_id());
  (*e.mutable_attributes())["survey_id"] = s.survey_id();
  (*e.mutable_attributes())["stage"] = s.stage();
  (*e.mutable_attributes())["instance_id"] = s.id();
  // For the invitation and the reminder: where to answer, what, and until when (the
  // owners' local date: a reminder is anchored on it).
  if (!s.link().empty()) (*e.mutable_attributes())["survey_link"] = s.link();
  (*e.mutable_attributes())["survey_title"] = s.title();
  if (s.has_expires_at()) {
    (*e.mutable_attributes())["survey_expires_date"] =
        absl::FormatTime("%Y-%m-%d", absl::FromUnixMillis(ToUnixMillis(FromProto(s.expires_at()))),
                         pb.ZoneOf(s.project_id()));
  }
  return e;
}

std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(
    const notification::v1::NotificationEvent& event, TimePoint now) {
  const auto& d = event.delivery();
  if (d.id().empty() || d.customer_id().empty() ||
      d.status() == notification::v1::DELIVERY_STATUS_UNSPECIFIED) {
    return std::nullopt;
  }
  auto e = Trigger(TriggerType("notification", notification::v1::DeliveryStatus_Name(d.status()),
                               "DELIVERY_STATUS_"),
                   d.id(), d.customer_id(), now, "notification");
  (*e.mutable_attributes())["channel"] = d.channel();
  (*e.mutable_attributes())["template_id"] = d.template_id();
  return e;
}

std::optional<Outcome> OutcomeOf(const ticketing::v1::TicketEvent& event) {
  const auto& t = event.ticket();
  if (t.touchpoint_id().empty() || event.type() != ticketing::v1::TICKET_EVENT_TYPE_OPENED) {
    return std::nullopt;
  }
  Outcome o{t.customer_id(), t.touchpoint_id(), v1::TOUCHPOINT_STATUS_DONE, "", t.id()};
  o.summary = absl::StrCat(t.kind(), " ticket opened;");
  for (const auto& d : t.deadlines()) {
    absl::StrAppend(&o.summary, " ", d.milestone(), " by ", FormatTime(FromProto(d.due_at())), ";");
  }
  o.summary.pop_back();
  return o;
}

std::optional<Outcome> OutcomeOf(const notification::v1::NotificationEvent& event) {
  const auto& d = event.delivery();
  // Held for the owner's quiet hours, or to be tried again: its outcome comes later.
  if (d.touchpoint_id().empty() || d.status() == notification::v1::DELIVERY_STATUS_DEFERRED ||
      d.status() == notification::v1::DELIVERY_STATUS_RETRYING) {
    return std::nullopt;
  }
  // Not sent by the owner's choice or the frequency cap: cancelled, not failed.
  if (d.status() == notification::v1::DELIVERY_STATUS_SUPPRESSED) {
    return Outcome{d.customer_id(), d.touchpoint_id(), v1::TOUCHPOINT_STATUS_CANCELLED,
                   absl::StrCat("not sent: ", d.reason()), d.id()};
  }
  const bool ok = d.status() == notification::v1::DELIVERY_STATUS_DELIVERED;
  if (!ok && d.tried_size() > 0) {  // every channel tried: what each answered
    return Outcome{d.customer_id(), d.touchpoint_id(), v1::TOUCHPOINT_STATUS_FAILED,
                   absl::StrCat("not delivered on any channel: ", absl::StrJoin(d.tried(), "; ")),
                   d.id()};
  }
  if (!ok && d.provider_response().empty() && !d.reason().empty()) {  // it could not be sent
    return Outcome{d.customer_id(), d.touchpoint_id(), v1::TOUCHPOINT_STATUS_FAILED,
                   absl::StrCat("not sent: ", d.reason()), d.id()};
  }
  return Outcome{d.customer_id(), d.touchpoint_id(),
                 ok ? v1::TOUCHPOINT_STATUS_DONE : v1::TOUCHPOINT_STATUS_FAILED,
                 absl::StrCat(ok ? "delivered via " : "not delivered via ", d.channel(), " (",
                              d.provider_response(), ")"),
                 d.id()};
}

std::optional<Outcome> OutcomeOf(const survey::v1::SurveyEvent& event) {
  const auto& s = event.instance();
  if (s.touchpoint_id().empty()) return std::nullopt;
  // Not sent, or withdrawn, for survey fatigue: cancelled with the reason.
  if (event.type() == survey::v1::SURVEY_EVENT_TYPE_SUPPRESSED) {
    return Outcome{s.customer_id(), s.touchpoint_id(), v1::TOUCHPOINT_STATUS_CANCELLED, s.reason(),
                   s.id()};
  }
  if (event.type() != survey::v1::SURVEY_EVENT_TYPE_CREATED) return std::nullopt;
  return Outcome{s.customer_id(), s.touchpoint_id(), v1::TOUCHPOINT_STATUS_DONE,
                 absl::StrCat("survey ", s.survey_id(), " (", s.stage(), ") open until ",
                              FormatTime(FromProto(s.expires_at()))),
                 s.id()};
}

namespace {

// What a domain event must carry to mean anything; without it, it is dead-lettered
// with the field's name (not taken for an event about nobody).
absl::Status Check(const ticketing::v1::TicketEvent& e) {
  if (e.type() == ticketing::v1::TICKET_EVENT_TYPE_UNSPECIFIED)
    return absl::InvalidArgumentError("type is required");
  if (!ticketing::v1::TicketEventType_IsValid(e.type())) {
    return absl::InvalidArgumentError("type is not a known event type (TicketEventType)");
  }
  if (e.ticket().id().empty()) return absl::InvalidArgumentError("ticket.id is required");
  return absl::OkStatus();
}
absl::Status Check(const notification::v1::NotificationEvent& e) {
  if (e.delivery().id().empty()) return absl::InvalidArgumentError("delivery.id is required");
  if (e.delivery().customer_id().empty() && e.delivery().role().empty()) {
    return absl::InvalidArgumentError("delivery.customer_id (or delivery.role) is required");
  }
  if (!notification::v1::DeliveryStatus_IsValid(e.delivery().status())) {
    return absl::InvalidArgumentError(
        "delivery.status is not a known delivery status (DeliveryStatus)");
  }
  return absl::OkStatus();
}
absl::Status Check(const survey::v1::SurveyEvent& e) {
  if (e.type() == survey::v1::SURVEY_EVENT_TYPE_UNSPECIFIED)
    return absl::InvalidArgumentError("type is required");
  if (!survey::v1::SurveyEventType_IsValid(e.type())) {
    return absl::InvalidArgumentError("type is not a known event type (SurveyEventType)");
  }
  if (e.instance().id().empty()) return absl::InvalidArgumentError("instance.id is required");
  if (e.instance().customer_id().empty())
    return absl::InvalidArgumentError("instance.customer_id is required");
  return absl::OkStatus();
}

Feedback Kept(const Playbook& pb, std::optional<Outcome> outcome,
              std::optional<lifecycle::v1::LifecycleEvent> trigger) {
  if (trigger && !pb.Triggers(trigger->type()) && !pb.Cancels(trigger->type())) trigger.reset();
  return Feedback{std::move(outcome), std::move(trigger)};
}

}  // namespace

absl::StatusOr<Feedback> FeedbackOf(const ticketing::v1::TicketEvent& event, TimePoint now,
                                    const Playbook& pb) {
  if (auto s = Check(event); !s.ok()) return s;
  return Kept(pb, OutcomeOf(event), TriggerOf(event, now));
}

absl::StatusOr<Feedback> FeedbackOf(const notification::v1::NotificationEvent& event, TimePoint now,
                                    const Playbook& pb) {
  if (auto s = Check(event); !s.ok()) return s;
  return Kept(pb, OutcomeOf(event), TriggerOf(event, now));
}

absl::StatusOr<Feedback> FeedbackOf(const survey::v1::SurveyEvent& event, TimePoint now,
                                    const Playbook& pb) {
  if (auto s = Check(event); !s.ok()) return s;
  return Kept(pb, OutcomeOf(event), TriggerOf(event, now, pb));
}

}  // namespace mot::scheduler
