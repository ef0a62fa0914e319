#include "touchpoint-scheduler/domain/planned_touchpoint.h"

#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "mot/common/ids.h"
#include "mot/common/local_hours.h"
#include "mot/common/log.h"
#include "mot/notification/v1/notification.pb.h"
#include "mot/survey/v1/survey.pb.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "touchpoint-scheduler/domain/stage.h"

namespace mot::scheduler {

namespace {

// An event's attributes as commands may carry them: an attribute whose name says it
// holds personal data (a name, phone, e-mail, id number, address) is left out, and
// phone numbers, id numbers and e-mail addresses written in any other value (a
// repair's description in the owner's words) of an enterprise system's event are masked. Commands
// wait in Redis until due and travel on Kafka: owners' personal data belongs in the sealed profile
// only.
bool PersonalAttribute(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  for (std::string_view part : {"name", "phone", "mobile", "mail", "id_card", "id_number",
                                "identity", "passport", "address", "contact"}) {
    if (lower.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

PlannedTouchpoint Build(const Playbook& pb, const Step& step, const CustomerFacts& facts,
                        const Occasion& o) {
  PlannedTouchpoint p;
  v1::Touchpoint& tp = p.touchpoint;
  tp.set_id(o.id);
  tp.set_step_id(step.id);
  tp.set_title(step.title);
  tp.set_service(step.action.service);
  tp.set_customer_id(facts.customer_id);
  tp.set_event_id(o.event_id);
  tp.set_event_type(o.event_type);
  tp.set_status(v1::TOUCHPOINT_STATUS_SCHEDULED);
  tp.set_playbook_version(pb.version());
  tp.set_anchor(step.anchor);
  tp.set_category(step.category);
  for (const auto& e : pb.ExitsFor(step)) tp.add_exit_on(e);
  const absl::TimeZone zone = pb.ZoneFor(facts);
  const TimePoint due = step.contact_window ? IntoWindow(o.due, zone, pb.contact_window()) : o.due;
  *tp.mutable_due_at() = ToProto(due);

  if (step.action.service == "notification") {
    notification::v1::SendNotificationCommand cmd;
    cmd.set_command_id(tp.id());
    cmd.set_touchpoint_id(tp.id());
    cmd.set_customer_id(facts.customer_id);
    cmd.set_template_id(Param(step, "template"));
    cmd.set_channel(Param(step, "channel"));
    cmd.set_category(step.category);
    auto& vars = *cmd.mutable_variables();
    if (o.attributes != nullptr) {
      // Domain events (ticket.resolved, survey.created ...) are our services' own: their
      // ids and links are kept as they are.
      const bool ours = o.event_type.find('.') != std::string::npos;
      for (const auto& [k, v] : *o.attributes) {
        if (!PersonalAttribute(k)) vars[k] = ours ? v : MaskPersonalData(v);
      }
    }
    for (const auto& [k, v] : o.extra) vars[k] = v;
    vars["project_id"] = facts.project_id;
    vars["unit_id"] = facts.unit_id;
    // The owner's calendar date, not UTC's (an evening in UTC is the next morning in China).
    vars["event_date"] =
        absl::FormatTime("%Y-%m-%d", absl::FromUnixMillis(ToUnixMillis(o.occurred)), zone);
    *cmd.mutable_requested_at() = tp.due_at();
    p.payload = cmd.SerializeAsString();
  } else if (step.action.service == "survey") {
    survey::v1::CreateSurveyCommand cmd;
    cmd.set_command_id(tp.id());
    cmd.set_touchpoint_id(tp.id());
    cmd.set_customer_id(facts.customer_id);
    cmd.set_survey_id(Param(step, "survey"));
    cmd.set_project_id(facts.project_id);
    cmd.set_unit_id(facts.unit_id);
    cmd.set_owner_stage(
        DeriveStage(facts.signed_at, facts.handover_at, FromProto(tp.due_at()), pb.stages()));
    *cmd.mutable_requested_at() = tp.due_at();
    p.payload = cmd.SerializeAsString();
  } else {
    ticketing::v1::OpenTicketCommand cmd;
    cmd.set_command_id(tp.id());
    cmd.set_touchpoint_id(tp.id());
    cmd.set_customer_id(facts.customer_id);
    cmd.set_unit_id(facts.unit_id);
    cmd.set_project_id(facts.project_id);
    std::string kind = Param(step, "kind"), summary = step.title;
    if (o.attributes != nullptr) {
      // The event may name a more specific kind (complaint_major ...).
      if (auto it = o.attributes->find("ticket_kind"); it != o.attributes->end()) kind = it->second;
      if (auto it = o.attributes->find("problem"); it != o.attributes->end())
        summary = MaskPersonalData(it->second);
      // What it is about (plumbing, wall ...): picks the team, links repeat complaints.
      if (auto it = o.attributes->find("category"); it != o.attributes->end())
        cmd.set_category(it->second);
      if (auto it = o.attributes->find("defect_code"); it != o.attributes->end())
        cmd.set_defect_code(it->second);
    }
    cmd.set_kind(kind);
    cmd.set_summary(summary);
    *cmd.mutable_requested_at() = tp.due_at();
    p.payload = cmd.SerializeAsString();
  }
  return p;
}

std::optional<PlannedTouchpoint> NextOccurrence(const PlannedTouchpoint& p) {
  const auto& tp = p.touchpoint;
  if (tp.occurrence() + 1 >= tp.occurrences() || tp.every_ms() <= 0) return std::nullopt;
  PlannedTouchpoint next = p;
  v1::Touchpoint& n = next.touchpoint;
  n.set_occurrence(tp.occurrence() + 1);
  n.set_id(DeterministicId("tp", {tp.event_id(), tp.step_id(), std::to_string(n.occurrence())}));
  n.set_status(v1::TOUCHPOINT_STATUS_SCHEDULED);
  n.clear_outcome();
  n.clear_result_ref();
  n.clear_previous_due_at();
  *n.mutable_due_at() = ToProto(FromProto(tp.due_at()) + std::chrono::milliseconds(tp.every_ms()));
  // The same command, addressed to the new touchpoint.
  const auto readdress = [&](auto cmd) {
    if (!cmd.ParseFromString(p.payload)) return std::string();
    cmd.set_command_id(n.id());
    cmd.set_touchpoint_id(n.id());
    *cmd.mutable_requested_at() = n.due_at();
    return cmd.SerializeAsString();
  };
  if (tp.service() == "notification") {
    next.payload = readdress(notification::v1::SendNotificationCommand());
  } else if (tp.service() == "survey") {
    next.payload = readdress(survey::v1::CreateSurveyCommand());
  } else {
    next.payload = readdress(ticketing::v1::OpenTicketCommand());
  }
  return next;
}
}  // namespace mot::scheduler
