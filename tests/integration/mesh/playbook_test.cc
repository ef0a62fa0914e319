// The playbook's rules on the running scheduler: exits, re-anchoring, tiers, calendar
// steps and reloads.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "mesh/fixture.h"
#include "mot/common/topics.h"

namespace mot {
namespace {

// 拒收: a refused handover cancels the pending handover steps with the reason and
// opens a follow-up ticket with its SLA.
TEST_F(MeshTest, ARefusedHandoverCancelsTheHandoverStepsAndOpensAFollowUpTicket) {
  const std::string customer = Unique("C-");
  Publish(Event("contract_signed", customer, Now()));
  WaitForWelcome(customer);
  auto refused = Event("handover_refused", customer, Now());
  (*refused.mutable_attributes())["reason"] = "quality";
  Publish(refused);
  auto j = WaitForSteps(customer, {"refused_handover_follow_up"});
  const std::string reason = "cancelled by handover_refused (event " + refused.event_id() + ")";
  for (const char* step : {"site_open_day", "handover_guide", "fee_explanation",
                           "construction_progress_monthly", "waiting_stage_survey"}) {
    EXPECT_EQ(Step(j, step).status(), sv1::TOUCHPOINT_STATUS_CANCELLED) << step;
    EXPECT_EQ(Step(j, step).outcome(), reason) << step;
  }
  EXPECT_EQ(Step(j, "sales_stage_survey").status(), sv1::TOUCHPOINT_STATUS_SCHEDULED)
      << "no exit of it";
  const auto ticket = Ticket(Step(j, "refused_handover_follow_up").result_ref());
  ASSERT_FALSE(ticket.id().empty());
  EXPECT_EQ(ticket.kind(), "refused_handover_follow_up");
  ASSERT_EQ(ticket.deadlines_size(), 2);
  EXPECT_EQ(FromProto(ticket.deadlines(0).due_at()) - FromProto(refused.occurred_at()), hours(24));
  // The cancelled ones never fire. The clock is past their due times already; the wait
  // is for the scheduler's passes at that time (every 200 ms of the wall clock), which
  // no further move of the simulated clock stands in for.
  Advance(hours(24 * 320));
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(Step(Journey(customer), "site_open_day").status(), sv1::TOUCHPOINT_STATUS_CANCELLED);
}

// The handover date moves: every pending touchpoint anchored on it moves, and the
// journey shows the old and the new due time.
TEST_F(MeshTest, ARescheduledHandoverMovesItsAnchoredTouchpoints) {
  const std::string customer = Unique("C-");
  const TimePoint now = Now();
  Publish(Event("contract_signed", customer, now));
  const auto before = WaitForWelcome(customer);
  const auto old_open_day = FromProto(Step(before, "site_open_day").due_at());
  auto moved = Event("handover_rescheduled", customer, now);
  (*moved.mutable_attributes())["planned_handover_date"] = LocalDate(now + hours(24 * 360));
  Publish(moved);
  auto j = WaitUntil(
      customer,
      [](const sv1::GetJourneyResponse& j) {
        return Step(j, "site_open_day").has_previous_due_at();
      },
      "re-anchored");
  for (const char* step : {"site_open_day", "handover_guide", "fee_explanation"}) {
    const auto tp = Step(j, step);
    // Days before or after the date: 60 days later; 3 calendar months before: 58-62.
    const auto moved_by = FromProto(tp.due_at()) - FromProto(tp.previous_due_at());
    if (std::string(step) == "site_open_day") {
      EXPECT_GE(moved_by, hours(24 * 58)) << step;
      EXPECT_LE(moved_by, hours(24 * 62)) << step;
    } else {
      EXPECT_EQ(moved_by, hours(24 * 60)) << step << j.DebugString();
    }
    EXPECT_NE(tp.outcome().find("moved: planned_handover_date changed by handover_rescheduled"),
              std::string::npos)
        << step;
  }
  EXPECT_EQ(FromProto(Step(j, "site_open_day").previous_due_at()), old_open_day);
  EXPECT_FALSE(Step(j, "sales_stage_survey").has_previous_due_at()) << "not anchored on the date";
  // At the old date nothing fires; at the new one it does. The wait is for the
  // scheduler's passes (every 200 ms of the wall clock) at the old date: moving the
  // simulated clock on would reach the new date and make the check vacuous.
  Advance(old_open_day - Now() + hours(24));
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(Step(Journey(customer), "site_open_day").status(), sv1::TOUCHPOINT_STATUS_SCHEDULED);
  Advance(FromProto(Step(j, "site_open_day").due_at()) - Now() + hours(1));
  WaitForSteps(customer, {"site_open_day"});
}

// Tier A (high intent, high match): a second touch within 48 hours.
TEST_F(MeshTest, ATierAProspectGetsASecondTouchWithin48Hours) {
  const std::string customer = Unique("C-");
  auto visit = Event("prospect_visit", customer, Now());
  (*visit.mutable_attributes())["tier"] = "A";
  Publish(visit);
  auto j = WaitForSteps(customer, {"first_visit_risk_disclosure", "first_visit_follow_up"});
  const auto touch = Step(j, "tier_a_second_touch");
  ASSERT_EQ(touch.status(), sv1::TOUCHPOINT_STATUS_SCHEDULED);
  EXPECT_LE(FromProto(touch.due_at()) - FromProto(visit.occurred_at()), hours(48));
  EXPECT_EQ(touch.playbook_version(), "2026.11-6plus2");
  EXPECT_EQ(Step(j, "tier_b_weekly_news").id(), "") << "tier B's step is not tier A's";
  Advance(hours(48));
  WaitForSteps(customer, {"tier_a_second_touch"});
  EXPECT_EQ(WebhookMessagesMentioning("感谢您关注" + visit.project_id() + "项目"), 1)
      << "one second touch";
}

// A festival step reaches every owner matching its condition, once, planned by the
// calendar pass after a playbook reload (no restart).
TEST_F(MeshTest, AFestivalStepReachesEveryMatchingOwnerOnce) {
  const std::string original = ReadPlaybook();
  const std::string u = Unique("t");
  const std::string segment = "segment_" + u;
  std::vector<std::string> owners;
  std::vector<OutMessage> profiles;
  for (int i = 0; i < 5; ++i) owners.push_back(Unique("C-F-"));
  const std::string other = Unique("C-F-");
  for (const auto& c : owners) {
    customer::v1::CustomerProfile p;
    p.set_customer_id(c);
    p.set_segment(segment);
    profiles.push_back({kCustomerTopic, c, p.SerializeAsString(), {}});
  }
  customer::v1::CustomerProfile p;
  p.set_customer_id(other);
  p.set_segment("young");
  profiles.push_back({kCustomerTopic, other, p.SerializeAsString(), {}});
  for (const auto& s : producer_->PublishAll(profiles)) ASSERT_TRUE(s.ok()) << s;

  // A festival three days from now, for this segment only.
  const std::string date = LocalDate(Now() + hours(24 * 3));
  std::string text = original;
  const std::string version_line = "version: \"2026.11-6plus2\"";
  text.replace(text.find(version_line), version_line.size(), "version: \"" + u + "\"");
  text.replace(text.find("    mid_autumn: ["), 0, "    day_" + u + ": [" + date + "]\n");
  text += "\n  - id: greeting_" + u + "\n    title: 节日问候\n    calendar: day_" + u +
          "\n    when: {segment: " + segment +
          "}\n    category: care\n"
          "    action: {service: notification, template: mid_autumn_greeting, channel: wecom}\n";
  WritePlaybook(text);
  ASSERT_TRUE(WaitForVersion(u)) << "the new playbook was not loaded";
  for (const auto& c : owners) {
    WaitUntil(
        c, [&](const sv1::GetJourneyResponse& j) { return j.touchpoints_size() == 1; }, "greeted");
  }
  Advance(hours(24 * 3));
  for (const auto& c : owners) {
    auto j = WaitForSteps(c, {"greeting_" + u});
    EXPECT_EQ(j.touchpoints(0).playbook_version(), u);
  }
  // More calendar passes: nothing more. They run every 2 s of the wall clock here;
  // moving the simulated clock on would put the festival out of their reach and prove
  // nothing, so this waits for passes at the festival's date.
  std::this_thread::sleep_for(seconds(5));
  for (const auto& c : owners) {
    EXPECT_EQ(Journey(c).touchpoints_size(), 1) << c;
    EXPECT_EQ(Deliveries(c).deliveries_size(), 1) << c << " greeted more than once";
  }
  EXPECT_EQ(Journey(other).touchpoints_size(), 0) << "another segment";
  WritePlaybook(original);
  EXPECT_TRUE(WaitForVersion("2026.11-6plus2"));
}

// A broken playbook never replaces the one in force; events go on being planned by it.
// The file changes without a signal: the scheduler notices it on its own.
TEST_F(MeshTest, APlaybookReloadWithABrokenFileKeepsTheOldPlaybook) {
  const std::string original = ReadPlaybook();
  const std::string refused = "mot_scheduler_playbook_reloads_total{result=\"refused\"}";
  const double before = std::max(0.0, Metric(env_["MOT_SCHEDULER_METRICS"], refused));
  std::string broken = original;
  broken.replace(broken.find("after: 90d"), 10, "after: ninety days");
  WritePlaybook(broken, /*signal=*/false);  // as a ConfigMap edit reaches the pod
  EXPECT_TRUE(
      Eventually([&] { return Metric(env_["MOT_SCHEDULER_METRICS"], refused) >= before + 1; },
                 seconds(30), "the broken playbook refused", std::chrono::milliseconds(200)))
      << "the broken playbook was not refused";
  EXPECT_NE(ServiceLog("touchpoint-scheduler").find("step 'revisit_after_move_in': after"),
            std::string::npos)
      << "the log names the step and the field";
  EXPECT_TRUE(WaitForVersion("2026.11-6plus2"));
  const std::string customer = Unique("C-");
  Publish(Event("handover", customer, Now()));
  auto j = WaitForSteps(customer, {"move_in_congratulations"});
  EXPECT_EQ(Step(j, "revisit_after_move_in").playbook_version(), "2026.11-6plus2");
  EXPECT_EQ(FromProto(Step(j, "revisit_after_move_in").due_at()) -
                FromProto(Step(j, "move_in_congratulations").due_at()),
            hours(24 * 90));
  WritePlaybook(original);
}

}  // namespace
}  // namespace mot
