// Tickets worked by agents and tickets left alone: the SLA clock, the escalation ladder
// and what the owner is told.
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mesh/fixture.h"
#include "mot/common/topics.h"

namespace mot {
namespace {

// A repair acknowledged, worked, resolved and closed by an agent over gRPC: each change
// recorded with who and why, an illegal move refused naming the state, and the closing
// issues the repair satisfaction survey (the playbook's ticket.closed step) a day later.
TEST_F(MeshTest, AClosedRepairIssuesTheRepairSatisfactionSurvey) {
  const std::string customer = Unique("C-");
  auto repair = Event("repair_requested", customer, Now());
  (*repair.mutable_attributes())["problem"] = "厨房水管漏水";
  Publish(repair);
  const std::string ticket_id =
      Step(WaitForSteps(customer, {"repair_ticket"}), "repair_ticket").result_ref();
  auto tickets =
      ticketing::v1::TicketingService::NewStub(testkit::MeshChannel(env_, "MOT_TICKETING_ADDR"));
  auto move = [&](ticketing::v1::TicketStatus to, const std::string& reason) {
    grpc::ClientContext ctx;
    ticketing::v1::TransitionTicketRequest req;
    req.set_ticket_id(ticket_id);
    req.set_to(to);
    req.set_reason(reason);
    req.set_actor("agent-wang");
    req.set_request_id(Unique("req-"));
    ticketing::v1::Ticket t;
    return std::make_pair(tickets->TransitionTicket(&ctx, req, &t), t);
  };
  ASSERT_TRUE(move(ticketing::v1::TICKET_STATUS_ACKNOWLEDGED, "").first.ok());
  ASSERT_TRUE(move(ticketing::v1::TICKET_STATUS_IN_PROGRESS, "").first.ok());
  ASSERT_TRUE(move(ticketing::v1::TICKET_STATUS_RESOLVED, "pipe joint replaced").first.ok());
  auto [illegal, unused] = move(ticketing::v1::TICKET_STATUS_ACKNOWLEDGED, "");
  EXPECT_EQ(illegal.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(illegal.error_message().find("the ticket is RESOLVED"), std::string::npos)
      << illegal.error_message();
  auto [closed, ticket] = move(ticketing::v1::TICKET_STATUS_CLOSED, "owner confirmed");
  ASSERT_TRUE(closed.ok()) << closed.error_message();
  ASSERT_EQ(ticket.history_size(), 4);
  EXPECT_EQ(ticket.history(2).reason(), "pipe joint replaced");
  EXPECT_EQ(ticket.history(3).actor(), "agent-wang");
  // Within its SLA: every milestone met in time.
  ASSERT_EQ(ticket.deadlines_size(), 3);
  for (const auto& d : ticket.deadlines()) {
    EXPECT_TRUE(d.has_met_at()) << d.milestone();
    EXPECT_FALSE(d.breached()) << d.milestone();
  }
  // The owner was told: acknowledged with the planned time, then resolved.
  // (Not asserted here: the checks below say which message is missing.)
  Eventually([&] { return Deliveries(customer).deliveries_size() >= 2; }, seconds(30),
             "two messages to the owner", std::chrono::milliseconds(200));
  std::set<std::string> told;
  const auto delivered = Deliveries(customer);
  for (const auto& d : delivered.deliveries()) told.insert(d.template_id());
  EXPECT_TRUE(told.count("ticket_acknowledged")) << "the owner was not told of the acknowledgement";
  EXPECT_TRUE(told.count("ticket_resolved")) << "the owner was not told of the resolution";
  EXPECT_EQ(WebhookMessagesMentioning("工单号" + ticket_id + "）已受理，我们计划于"), 1);

  auto j = WaitUntil(
      customer,
      [](const sv1::GetJourneyResponse& j) {
        return Step(j, "repair_satisfaction_survey").status() == sv1::TOUCHPOINT_STATUS_SCHEDULED;
      },
      "planned its repair survey");
  EXPECT_EQ(Step(j, "repair_satisfaction_survey").event_type(), "ticket.closed");
  Advance(hours(25));
  WaitForSteps(customer, {"repair_satisfaction_survey"});
  const auto surveys = Surveys(customer);
  ASSERT_EQ(surveys.instances_size(), 1);
  EXPECT_EQ(surveys.instances(0).survey_id(), "repair_satisfaction");
  // Days later, still no breach and no alert: its SLA timer had nothing left to raise.
  // The wait is for a few SLA ticks (every 200 ms of the wall clock) at this time, which
  // the simulated clock, already moved, cannot stand in for.
  Advance(hours(24 * 4));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto later = Ticket(ticket_id);
  EXPECT_EQ(later.alerts_size(), 0) << later.DebugString();
  for (const auto& d : later.deadlines()) EXPECT_FALSE(d.breached()) << d.milestone();
}

// A major complaint that nobody touches: at 1 h, 2 h and 24 h its milestones breach and
// each rung of the ladder is told through the notification service (the mesh's webhook
// receiver); at 30 days the risk warning escalates once more.
TEST_F(MeshTest, AMajorComplaintNobodyTouchesWalksTheWholeLadder) {
  auto tickets =
      ticketing::v1::TicketingService::NewStub(testkit::MeshChannel(env_, "MOT_TICKETING_ADDR"));
  grpc::ClientContext ctx;
  ticketing::v1::CreateTicketRequest req;
  req.set_request_id(Unique("hotline-"));
  req.set_actor("agent-li");
  req.set_kind("complaint_major");
  req.set_customer_id(Unique("C-"));
  req.set_project_id(Unique("P-"));
  req.set_unit_id("U-0801");
  req.set_summary("外墙开裂渗水");
  ticketing::v1::Ticket t;
  ASSERT_TRUE(tickets->CreateTicket(&ctx, req, &t).ok());
  const std::string rung = "）的“";
  const auto escalations = [&] {
    return WebhookMessagesMentioning("工单" + t.id() + "（complaint_major" + rung);
  };
  const auto mentioned_once = [&](const std::string& text) {
    return [this, text] { return WebhookMessagesMentioning(text) == 1; };
  };
  // Nothing before the hour is up: a few SLA ticks (every 200 ms of the wall clock) and
  // the way to the webhook at 59 minutes. A fixed wait: moving the simulated clock on
  // would make the hour up, which is what must not have come yet.
  Advance(std::chrono::minutes(59));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(escalations(), 0) << "nothing before the hour is up";
  Advance(std::chrono::minutes(1));
  EXPECT_TRUE(Eventually(mentioned_once("【工单升级·第1级】客服经理：" + req.project_id()),
                         seconds(30), "the first rung (customer-service manager at 1 h)"));
  Advance(hours(1));
  EXPECT_TRUE(Eventually(mentioned_once("【工单升级·第2级】工程总监：" + req.project_id()),
                         seconds(30), "the second rung (engineering director at 2 h)"));
  Advance(hours(22));
  EXPECT_TRUE(Eventually(mentioned_once("【工单升级·第3级】总经理：" + req.project_id()),
                         seconds(30), "the third rung (general manager at 24 h)"));
  EXPECT_EQ(escalations(), 3);
  EXPECT_EQ(WebhookMessagesMentioning(req.customer_id()), 0) << "no owner data in a role's message";
  // The ticket records each alert once: three warnings, three breaches on the ladder.
  auto now = Ticket(t.id());
  std::vector<std::string> ladder;
  int warnings = 0;
  for (const auto& a : now.alerts()) {
    warnings += a.kind() == ticketing::v1::SLA_ALERT_KIND_WARNING;
    if (a.level() > 0) ladder.push_back(std::to_string(a.level()) + ":" + a.role());
  }
  EXPECT_EQ(warnings, 3);
  EXPECT_EQ(ladder, (std::vector<std::string>{"1:customer_service_manager",
                                              "2:engineering_director", "3:general_manager"}));
  for (const auto& d : now.deadlines()) EXPECT_TRUE(d.breached()) << d.milestone();

  // Left open: the risk warning at 30 days, escalated to the general manager once more.
  // Not before 30 days: a fixed wait at an hour before, as at 59 minutes above.
  Advance(hours(24 * 29 - 1));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(WebhookMessagesMentioning("投诉工单" + t.id()), 0) << "not before 30 days";
  Advance(hours(1));
  EXPECT_TRUE(Eventually(
      mentioned_once("【投诉预警·第4级】总经理：" + req.project_id() + "项目投诉工单" + t.id()),
      seconds(30), "the 30-day risk warning"));
  EXPECT_TRUE(Eventually([&] { return Ticket(t.id()).alerts_size() == 7; }, seconds(30),
                         "the risk warning on the ticket"));
  now = Ticket(t.id());
  ASSERT_EQ(now.alerts_size(), 7);
  EXPECT_EQ(now.alerts(6).kind(), ticketing::v1::SLA_ALERT_KIND_RISK);
  // Its events on mot.ticket.v1: warnings, breaches, escalations and the risk warning.
  std::map<std::string, int> events;
  auto consumer = ReadFromStart(kTicketEventsTopic);
  ReadUntil(
      *consumer, seconds(30),
      [&](RdKafka::Message& m) {
        ticketing::v1::TicketEvent e;
        if (e.ParseFromArray(m.payload(), static_cast<int>(m.len())) && e.ticket().id() == t.id()) {
          ++events[ticketing::v1::TicketEventType_Name(e.type())];
        }
        return events["TICKET_EVENT_TYPE_ESCALATED"] >= 4;
      },
      "the four escalations on mot.ticket.v1");  // each count is checked below
  consumer->close();
  EXPECT_EQ(events["TICKET_EVENT_TYPE_OPENED"], 1);
  EXPECT_EQ(events["TICKET_EVENT_TYPE_SLA_WARNING"], 3);
  EXPECT_EQ(events["TICKET_EVENT_TYPE_SLA_BREACHED"], 3);
  EXPECT_EQ(events["TICKET_EVENT_TYPE_ESCALATED"], 4);
  EXPECT_EQ(events["TICKET_EVENT_TYPE_RISK_WARNING"], 1);
}

}  // namespace
}  // namespace mot
