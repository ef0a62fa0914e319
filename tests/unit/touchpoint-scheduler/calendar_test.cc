#include "touchpoint-scheduler/domain/calendar.h"

#include "playbook_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(PlaybookTest, CalendarStepsReachEveryMatchingOwnerOncePerDate) {
  CustomerFacts owner;
  owner.customer_id = "C-1";
  owner.project_id = "P-SH01";
  owner.signed_at = t0_;
  owner.birth_month = 2;
  owner.birth_day = 29;
  // 2027-01-10 .. 2027-03-01: Spring Festival 2027-02-06 and the birthday (28 Feb in 2027).
  auto planned = PlanCalendar(playbook_, owner, At("2027-01-10 12:00"), At("2027-03-01 12:00"));
  auto by = ByStep(planned);
  ASSERT_EQ(by["spring_festival_greeting"].size(), 1u);
  EXPECT_EQ(Local(by["spring_festival_greeting"][0]), "2027-02-06 09:00");
  ASSERT_EQ(by["birthday_care"].size(), 1u);
  EXPECT_EQ(Local(by["birthday_care"][0]), "2027-02-28 09:00");
  EXPECT_EQ(by.count("mid_autumn_greeting"), 0u);
  // Planned again: the same ids (stored once). Another owner: other ids.
  auto again = PlanCalendar(playbook_, owner, At("2027-01-10 12:00"), At("2027-03-01 12:00"));
  ASSERT_EQ(again.size(), planned.size());
  EXPECT_EQ(again[0].touchpoint.id(), planned[0].touchpoint.id());
  CustomerFacts other = owner;
  other.customer_id = "C-2";
  EXPECT_NE(PlanCalendar(playbook_, other, At("2027-01-10 12:00"), At("2027-03-01 12:00"))[0]
                .touchpoint.id(),
            planned[0].touchpoint.id());
  notification::v1::SendNotificationCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(planned[0].payload));
  EXPECT_EQ(cmd.variables().at("project_id"), "P-SH01");
  // Conditions: a visitor who never signed is no owner; an owner who opted out gets no care.
  CustomerFacts visitor = owner;
  visitor.signed_at.reset();
  EXPECT_TRUE(
      PlanCalendar(playbook_, visitor, At("2027-01-10 12:00"), At("2027-03-01 12:00")).empty());
  CustomerFacts opted_out = owner;
  opted_out.exited.insert("customer_opt_out");
  EXPECT_TRUE(
      PlanCalendar(playbook_, opted_out, At("2027-01-10 12:00"), At("2027-03-01 12:00")).empty());
  EXPECT_TRUE(HasFestivalDates(playbook_, At("2027-01-10 12:00"), At("2027-02-06 00:00")));
  EXPECT_FALSE(HasFestivalDates(playbook_, At("2027-01-10 12:00"), At("2027-02-04 00:00")));
  EXPECT_TRUE(HasBirthdaySteps(playbook_));
}

}  // namespace
}  // namespace mot::scheduler
