// The policy file: its kinds, ladders, roles and calendars, and the tickets it opens.
#include "ticketing/domain/sla_policy.h"

#include "fixtures.h"

namespace mot::ticketing {
namespace {

TEST_F(TicketingTest, ShippedRepairPolicyHasTheDomainDefaults) {
  auto ticket = OpenTicket(policy_, RepairCommand(t0_));
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  ASSERT_EQ(ticket->deadlines_size(), 3);
  const std::pair<const char*, hours> expected[] = {
      {"respond", hours(2)}, {"plan", hours(24)}, {"fix", hours(72)}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ticket->deadlines(i).milestone(), expected[i].first);
    EXPECT_EQ(FromProto(ticket->deadlines(i).due_at()) - t0_, expected[i].second);
  }
  EXPECT_EQ(ticket->id(), TicketIdFor("tp-1"));
  EXPECT_EQ(ticket->status(), v1::TICKET_STATUS_NEW);
}

TEST_F(TicketingTest, MajorComplaintHasThreeLevels) {
  auto cmd = RepairCommand(t0_);
  cmd.set_kind("complaint_major");
  auto ticket = OpenTicket(policy_, cmd);
  ASSERT_TRUE(ticket.ok());
  ASSERT_EQ(ticket->deadlines_size(), 3);
  EXPECT_EQ(FromProto(ticket->deadlines(0).due_at()) - t0_, hours(1));
  EXPECT_EQ(FromProto(ticket->deadlines(2).due_at()) - t0_, hours(24));
}

TEST_F(TicketingTest, BadCommandsNameTheField) {
  auto cmd = RepairCommand(t0_);
  cmd.clear_customer_id();
  EXPECT_EQ(OpenTicket(policy_, cmd).status().message(), "customer_id is required");
  cmd = RepairCommand(t0_);
  cmd.set_kind("teleport");
  auto s = OpenTicket(policy_, cmd).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("kind is unknown"), std::string::npos);
  cmd = RepairCommand(t0_);
  cmd.clear_requested_at();
  EXPECT_EQ(OpenTicket(policy_, cmd).status().message(), "requested_at is required");
}

TEST(SlaPolicy, RejectsBadYaml) {
  EXPECT_FALSE(SlaPolicy::FromYaml("kinds: {}").ok());
  auto s = SlaPolicy::FromYaml("kinds: {repair: [{milestone: respond, within: soon}]}").status();
  EXPECT_NE(std::string(s.message()).find("kind 'repair'"), std::string::npos);
}

TEST(SlaPolicy, LaddersRolesAndRiskAreCheckedWithTheirNames) {
  const auto error = [](const std::string& yaml) {
    return std::string(SlaPolicy::FromYaml(yaml).status().message());
  };
  EXPECT_EQ(error("kinds: {r: [{milestone: m, within: 1h, escalate_to: boss}]}"),
            "kind 'r': milestone 'm': escalate_to: role 'boss' is not defined under 'roles'");
  EXPECT_EQ(
      error("kinds: {r: [{milestone: m, within: 1h, met_by: done}]}"),
      "kind 'r': milestone 'm': met_by: expected acknowledged, in_progress, resolved or closed");
  EXPECT_EQ(error("roles: {boss: {title: 老板}}\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "role 'boss': channel is required (e.g. wecom)");
  EXPECT_EQ(error("warning_share: 1.5\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "warning_share: expected a share of the window between 0 and 1, e.g. 0.8");
  EXPECT_EQ(error("risk_warning: {after: 30 days}\nkinds: {r: [{milestone: m, within: 1h}]}")
                .rfind("risk_warning: after: ", 0),
            0u);
  EXPECT_EQ(
      error("risk_warning: {after: 30d, kinds: [x]}\nkinds: {r: [{milestone: m, within: 1h}]}"),
      "risk_warning: kinds: 'x' is not a kind");
  EXPECT_EQ(error("owner_updates: {kinds: [x]}\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "owner_updates: kinds: 'x' is not a kind");
  EXPECT_EQ(error("project_calendars: {p1: office}\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "project_calendars: p1: calendar 'office' is not defined under 'calendars'");
  // The shipped policy: DOMAIN.md's ladder for a major complaint, the 30-day risk.
  auto shipped = *SlaPolicy::FromYaml(testkit::ShippedConfig("sla.yaml"));
  EXPECT_DOUBLE_EQ(shipped.warning_share(), 0.8);
  EXPECT_EQ(shipped.risk_warning().after, hours(24 * 30));
  std::vector<std::string> ladder;
  for (const auto& m : *shipped.Find("complaint_major")) ladder.push_back(m.escalate_to);
  EXPECT_EQ(ladder, (std::vector<std::string>{"customer_service_manager", "engineering_director",
                                              "general_manager"}));
  for (const auto& role : ladder) EXPECT_NE(shipped.FindRole(role), nullptr) << role;
}

// A calendar without a working day loaded, and its first ticket's deadline overflowed
// a timestamp and terminated ticketing (found by fuzz_sla_policy).
TEST(FuzzFixes, ACalendarWithoutAWorkingDayIsRefused) {
  auto policy = SlaPolicy::FromYaml(
      "calendars:\n  office: {time_zone: Asia/Shanghai, hours: '09:00-18:00', weekdays: []}\n"
      "kinds:\n  visit: {calendar: office, milestones: [{milestone: contact, within: 2h}]}\n");
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(std::string(policy.status().message()).find("weekdays: at least one working day"),
            std::string::npos)
      << policy.status();
}

}  // namespace
}  // namespace mot::ticketing
