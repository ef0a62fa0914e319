#include "ticketing/domain/ticket_messages.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "mot/common/clock.h"
#include "mot/common/topics.h"
#include "mot/notification/v1/notification.pb.h"
#include "ticketing/domain/lifecycle.h"
#include "ticketing/domain/sla_clock.h"

namespace mot::ticketing {
namespace {

std::string Local(const SlaPolicy& policy, TimePoint t) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ToUnixMillis(t)), policy.zone());
}

OutMessage EventMessage(const v1::TicketEvent& event) {
  return {kTicketEventsTopic, event.ticket().customer_id(), event.SerializeAsString(), {}};
}

// A notification command: to the owner, or to a staff role.
OutMessage Notify(const std::string& command_id, const std::string& customer_id,
                  const std::string& role, const std::string& channel,
                  const std::string& template_id, std::map<std::string, std::string> vars,
                  TimePoint at) {
  notification::v1::SendNotificationCommand cmd;
  cmd.set_command_id(command_id);
  cmd.set_customer_id(customer_id);
  cmd.set_role(role);
  cmd.set_channel(channel);
  cmd.set_template_id(template_id);
  for (auto& [k, v] : vars) (*cmd.mutable_variables())[k] = std::move(v);
  *cmd.mutable_requested_at() = ToProto(at);
  return {kNotificationCommandsTopic,
          role.empty() ? customer_id : "role:" + role,
          cmd.SerializeAsString(),
          {}};
}

// The owner's message of a change of status, where the policy tells the owner.
void OwnerUpdate(const SlaPolicy& policy, const v1::Ticket& after, const v1::TicketChange& change,
                 std::vector<OutMessage>* out) {
  const auto& updates = policy.owner_updates();
  if (!updates.kinds.count(after.kind()) || change.from() == change.to()) return;
  const std::string command_id = absl::StrCat("ticket:", after.id(), ":", after.history_size());
  std::map<std::string, std::string> vars = {
      {"ticket_id", after.id()}, {"project_id", after.project_id()}, {"unit_id", after.unit_id()}};
  if (change.to() == v1::TICKET_STATUS_ACKNOWLEDGED && !updates.acknowledged.empty()) {
    // The planned time: when the kind's last milestone is due.
    const auto review = Review(policy, after, FromProto(change.at()));
    if (!review.deadlines.empty() && review.deadlines.back().has_due_at()) {
      vars["planned_at"] = Local(policy, FromProto(review.deadlines.back().due_at()));
      out->push_back(Notify(command_id, after.customer_id(), "", "", updates.acknowledged,
                            std::move(vars), FromProto(change.at())));
    }
  } else if (change.to() == v1::TICKET_STATUS_RESOLVED && !updates.resolved.empty()) {
    out->push_back(Notify(command_id, after.customer_id(), "", "", updates.resolved,
                          std::move(vars), FromProto(change.at())));
  }
}

}  // namespace

std::vector<OutMessage> MessagesOfChange(const SlaPolicy& policy, const v1::Ticket& before,
                                         const v1::Ticket& after) {
  std::vector<OutMessage> out;
  v1::TicketEvent event;
  *event.mutable_ticket() = after;
  if (before.id().empty()) {
    event.set_type(v1::TICKET_EVENT_TYPE_OPENED);
    *event.mutable_occurred_at() = after.opened_at();
    out.push_back(EventMessage(event));
    if (!after.repeat_of().empty()) {
      event.set_type(v1::TICKET_EVENT_TYPE_REPEAT_LINKED);
      out.push_back(EventMessage(event));
    }
    return out;
  }
  if (after.notes_size() > before.notes_size()) {
    event.set_type(v1::TICKET_EVENT_TYPE_NOTE_ADDED);
    *event.mutable_occurred_at() = after.notes(after.notes_size() - 1).at();
    out.push_back(EventMessage(event));
    return out;
  }
  if (after.history_size() == 0) return out;
  const v1::TicketChange& change = after.history(after.history_size() - 1);
  event.set_type(!change.to_kind().empty() ? v1::TICKET_EVENT_TYPE_RECLASSIFIED
                 : !change.to_team().empty() || !change.to_assignee().empty()
                     ? v1::TICKET_EVENT_TYPE_ASSIGNED
                     : EventFor(change.from(), change.to()));
  *event.mutable_occurred_at() = change.at();
  out.push_back(EventMessage(event));
  for (const auto& m : NewlyMet(policy, before, after)) {
    v1::TicketEvent met = event;
    met.set_type(v1::TICKET_EVENT_TYPE_MILESTONE_MET);
    met.set_milestone(m);
    out.push_back(EventMessage(met));
  }
  OwnerUpdate(policy, after, change, &out);
  return out;
}

std::vector<OutMessage> MessagesOfAlert(const SlaPolicy& policy, const v1::Ticket& ticket,
                                        const v1::SlaAlert& alert) {
  std::vector<OutMessage> out;
  v1::TicketEvent event;
  event.set_type(alert.kind() == v1::SLA_ALERT_KIND_WARNING ? v1::TICKET_EVENT_TYPE_SLA_WARNING
                 : alert.kind() == v1::SLA_ALERT_KIND_BREACHED
                     ? v1::TICKET_EVENT_TYPE_SLA_BREACHED
                     : v1::TICKET_EVENT_TYPE_RISK_WARNING);
  *event.mutable_occurred_at() = alert.raised_at();
  *event.mutable_ticket() = ticket;
  event.set_milestone(alert.milestone());
  *event.mutable_alert() = alert;
  out.push_back(EventMessage(event));
  const Role* role = policy.FindRole(alert.role());
  if (alert.role().empty() || role == nullptr) return out;
  event.set_type(v1::TICKET_EVENT_TYPE_ESCALATED);
  out.push_back(EventMessage(event));
  const bool risk = alert.kind() == v1::SLA_ALERT_KIND_RISK;
  std::map<std::string, std::string> vars = {
      {"level", std::to_string(alert.level())},
      {"role_title", role->title},
      {"project_id", ticket.project_id()},
      {"ticket_id", ticket.id()},
      {"kind", ticket.kind()},
      {"milestone", alert.milestone()},
      {"summary", ticket.summary().empty() ? "（无）" : ticket.summary()},
      {"due_at", Local(policy, FromProto(alert.due_at()))},
      {"opened_at", Local(policy, FromProto(ticket.opened_at()))},
      {"days",
       std::to_string(
           std::chrono::duration_cast<std::chrono::hours>(policy.risk_warning().after).count() /
           24)}};
  out.push_back(Notify(absl::StrCat("sla:", ticket.id(), ":", v1::SlaAlertKind_Name(alert.kind()),
                                    ":", alert.milestone()),
                       "", alert.role(), role->channel,
                       risk ? "sla_risk_warning" : "sla_escalation", std::move(vars),
                       FromProto(alert.raised_at())));
  return out;
}

}  // namespace mot::ticketing
