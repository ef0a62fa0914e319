// What a change or an alert sends on: events, the owner's progress, the roles' messages.
#include "ticketing/domain/ticket_messages.h"

#include <string>
#include <vector>

#include "fixtures.h"
#include "mot/notification/v1/notification.pb.h"
#include "ticketing/domain/lifecycle.h"

namespace mot::ticketing {
namespace {

using TicketMessagesTest = TicketingTest;

// "TYPE milestone" of each ticket event, "notify template" of each notification.
std::vector<std::string> Kinds(const std::vector<OutMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) {
    if (m.topic == kTicketEventsTopic) {
      v1::TicketEvent e;
      EXPECT_TRUE(e.ParseFromString(m.payload));
      out.push_back(v1::TicketEventType_Name(e.type()).substr(18) + " " + e.milestone());
    } else {
      EXPECT_EQ(m.topic, kNotificationCommandsTopic);
      notification::v1::SendNotificationCommand cmd;
      EXPECT_TRUE(cmd.ParseFromString(m.payload));
      out.push_back("notify " + cmd.template_id());
    }
  }
  return out;
}

TEST_F(TicketMessagesTest, AnOpenedTicketSendsOpenedAndARepeatItsLink) {
  v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  auto messages = MessagesOfChange(policy_, {}, t);
  EXPECT_EQ(Kinds(messages), (std::vector<std::string>{"OPENED "}));
  EXPECT_EQ(messages[0].key, "C-1") << "keyed by the owner: one owner's events stay in order";
  v1::TicketEvent e;
  ASSERT_TRUE(e.ParseFromString(messages[0].payload));
  EXPECT_EQ(FromProto(e.occurred_at()), t0_);
  EXPECT_EQ(e.ticket().id(), t.id());
  t.set_repeat_of("tk-earlier");
  EXPECT_EQ(Kinds(MessagesOfChange(policy_, {}, t)),
            (std::vector<std::string>{"OPENED ", "REPEAT_LINKED "}));
}

TEST_F(TicketMessagesTest, EachKindOfChangeSendsItsEvent) {
  const v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  bool replayed = false;
  const v1::Ticket noted =
      AddNote(t, {"agent-li", "called the owner", "n-1"}, t0_ + hours(1), &replayed);
  auto messages = MessagesOfChange(policy_, t, noted);
  EXPECT_EQ(Kinds(messages), (std::vector<std::string>{"NOTE_ADDED "}));
  v1::TicketEvent e;
  ASSERT_TRUE(e.ParseFromString(messages[0].payload));
  EXPECT_EQ(FromProto(e.occurred_at()), t0_ + hours(1));
  const v1::Ticket assigned = *Assign(t, {"customer_service", ""}, {{}, "manager-zhao", "", "a-1"},
                                      t0_ + hours(1), &replayed);
  EXPECT_EQ(Kinds(MessagesOfChange(policy_, t, assigned)), (std::vector<std::string>{"ASSIGNED "}))
      << "the status stays: the owner is not told";
  const v1::Ticket major =
      *Reclassify(policy_, t, "complaint_major", {{}, "manager-zhao", "crack", "k-1"},
                  t0_ + hours(1), &replayed);
  EXPECT_EQ(Kinds(MessagesOfChange(policy_, t, major)),
            (std::vector<std::string>{"RECLASSIFIED "}));
}

TEST_F(TicketMessagesTest, AResolutionMeetsItsMilestonesAndTellsTheOwnerOnce) {
  v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  bool replayed = false;
  t = *Transition(t, {v1::TICKET_STATUS_ACKNOWLEDGED, "agent", "", "r1"}, t0_ + hours(1),
                  &replayed);
  const v1::Ticket before = t;
  const v1::Ticket resolved = *Transition(
      t, {v1::TICKET_STATUS_RESOLVED, "agent", "valve replaced", "r2"}, t0_ + hours(30), &replayed);
  auto messages = MessagesOfChange(policy_, before, resolved);
  EXPECT_EQ(Kinds(messages),
            (std::vector<std::string>{"RESOLVED ", "MILESTONE_MET plan", "MILESTONE_MET fix",
                                      "notify ticket_resolved"}));
  notification::v1::SendNotificationCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(messages.back().payload));
  EXPECT_EQ(cmd.command_id(), "ticket:" + resolved.id() + ":2") << "the same on every resend";
  notification::v1::SendNotificationCommand again;
  ASSERT_TRUE(again.ParseFromString(MessagesOfChange(policy_, before, resolved).back().payload));
  EXPECT_EQ(again.command_id(), cmd.command_id());
}

TEST_F(TicketMessagesTest, AWarningTellsNobodyAndTheRiskWarningTellsItsRole) {
  const v1::Ticket t = *OpenTicket(policy_, [&] {
    auto cmd = RepairCommand(t0_);
    cmd.set_kind("complaint_general");
    return cmd;
  }());
  v1::SlaAlert warning;
  warning.set_kind(v1::SLA_ALERT_KIND_WARNING);
  warning.set_milestone("respond");
  *warning.mutable_due_at() = ToProto(t0_ + std::chrono::minutes(96));
  *warning.mutable_raised_at() = ToProto(t0_ + std::chrono::minutes(96));
  EXPECT_EQ(Kinds(MessagesOfAlert(policy_, t, warning)),
            (std::vector<std::string>{"SLA_WARNING respond"}));
  v1::SlaAlert risk;
  risk.set_kind(v1::SLA_ALERT_KIND_RISK);
  risk.set_role("general_manager");
  risk.set_level(1);
  *risk.mutable_due_at() = ToProto(t0_ + hours(24 * 30));
  *risk.mutable_raised_at() = ToProto(t0_ + hours(24 * 30));
  auto messages = MessagesOfAlert(policy_, t, risk);
  EXPECT_EQ(Kinds(messages),
            (std::vector<std::string>{"RISK_WARNING ", "ESCALATED ", "notify sla_risk_warning"}));
  notification::v1::SendNotificationCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(messages[2].payload));
  EXPECT_EQ(cmd.variables().at("days"), "30");
  EXPECT_EQ(cmd.variables().at("role_title"), "总经理");
  EXPECT_EQ(cmd.channel(), "wecom");
  EXPECT_EQ(cmd.command_id(), "sla:" + t.id() + ":SLA_ALERT_KIND_RISK:");
  risk.set_role("nobody_configured");
  EXPECT_EQ(Kinds(MessagesOfAlert(policy_, t, risk)), (std::vector<std::string>{"RISK_WARNING "}))
      << "a role the policy no longer has: the event only";
}

TEST_F(TicketMessagesTest, TheOwnerIsToldOfProgressAndRolesOfEscalationsWithoutOwnerData) {
  v1::Ticket before = *OpenTicket(policy_, RepairCommand(t0_));
  before.set_project_id("P-1");
  before.set_unit_id("U-1");
  bool replayed = false;
  v1::Ticket acked = *Transition(before, {v1::TICKET_STATUS_ACKNOWLEDGED, "agent", "", "r1"},
                                 t0_ + hours(1), &replayed);
  auto messages = MessagesOfChange(policy_, before, acked);
  ASSERT_EQ(messages.size(), 3u) << "ACKNOWLEDGED, MILESTONE_MET respond, the owner's message";
  notification::v1::SendNotificationCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(messages[2].payload));
  EXPECT_EQ(messages[2].topic, kNotificationCommandsTopic);
  EXPECT_EQ(cmd.customer_id(), "C-1");
  EXPECT_EQ(cmd.template_id(), "ticket_acknowledged");
  EXPECT_EQ(cmd.variables().at("planned_at"), "2026-11-04 16:00")
      << "the fix, 72 h on, in Shanghai";
  v1::TicketEvent met;
  ASSERT_TRUE(met.ParseFromString(messages[1].payload));
  EXPECT_EQ(met.type(), v1::TICKET_EVENT_TYPE_MILESTONE_MET);
  EXPECT_EQ(met.milestone(), "respond");
  // An internal task tells the owner nothing.
  v1::Ticket visit = before;
  visit.set_kind("revisit");
  v1::Ticket visit_acked = *Transition(visit, {v1::TICKET_STATUS_ACKNOWLEDGED, "agent", "", "r1"},
                                       t0_ + hours(1), &replayed);
  for (const auto& m : MessagesOfChange(policy_, visit, visit_acked)) {
    EXPECT_NE(m.topic, kNotificationCommandsTopic);
  }
  // A breach on the ladder: its events and the role's message, no owner in it.
  v1::SlaAlert alert;
  alert.set_kind(v1::SLA_ALERT_KIND_BREACHED);
  alert.set_milestone("respond");
  alert.set_role("service_supervisor");
  alert.set_level(1);
  *alert.mutable_due_at() = ToProto(t0_ + hours(2));
  *alert.mutable_raised_at() = ToProto(t0_ + hours(2));
  messages = MessagesOfAlert(policy_, before, alert);
  ASSERT_EQ(messages.size(), 3u);
  ASSERT_TRUE(cmd.ParseFromString(messages[2].payload));
  EXPECT_EQ(cmd.role(), "service_supervisor");
  EXPECT_TRUE(cmd.customer_id().empty());
  EXPECT_EQ(messages[2].key, "role:service_supervisor");
  EXPECT_EQ(cmd.template_id(), "sla_escalation");
  EXPECT_EQ(cmd.variables().at("role_title"), "客服主管");
  EXPECT_EQ(cmd.variables().at("due_at"), "2026-11-01 18:00");
  for (const auto& [k, v] : cmd.variables()) EXPECT_EQ(v.find("C-1"), std::string::npos) << k;
  EXPECT_EQ(cmd.command_id(), "sla:" + before.id() + ":SLA_ALERT_KIND_BREACHED:respond")
      << "one message per alert, however often it is sent";
}

}  // namespace
}  // namespace mot::ticketing
