#include "touchpoint-scheduler/app/calendar_planner.h"

#include "scheduler_app_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(SchedulerAppTest, ACalendarPassReachesEveryMatchingOwnerOnce) {
  // Three owners (signed) and a visitor; the Spring Festival 2027 within plan_ahead.
  for (const char* c : {"O-1", "O-2", "O-3", "V-1"}) {
    CustomerUpdate u{c, {{"project", "P-1"}}, {}};
    if (c[0] == 'O') u.milestones.emplace_back("contract_signed", kNow);
    ASSERT_TRUE(store_.UpdateCustomers({u}, kNow).ok());
  }
  clock_.Advance(hours(24 * 77));  // 2027-01-17: the festival (2027-02-06) within 30 days
  std::vector<TimePoint> woken;
  CalendarPlanner planner(live_, store_, clock_, {}, *metrics_,
                          [&](TimePoint due) { woken.push_back(due); });
  const std::atomic<bool> running{false};
  auto pass = planner.Pass(running);
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(*pass, 3);
  ASSERT_TRUE(planner.Pass(running).ok());  // again: the same touchpoints, stored once
  for (const char* c : {"O-1", "O-2", "O-3"}) {
    auto journey = store_.Journey(c);
    ASSERT_EQ(journey->size(), 1u) << c;
    EXPECT_EQ((*journey)[0].step_id(), "spring_festival_greeting");
  }
  EXPECT_TRUE(store_.Journey("V-1")->empty()) << "a visitor is no owner";
  ASSERT_FALSE(woken.empty());
}

TEST_F(SchedulerAppTest, ACalendarPassEndsAtOnceWhenStopped) {
  CustomerUpdate u{"O-1", {{"project", "P-1"}}, {}};
  u.milestones.emplace_back("contract_signed", kNow);
  ASSERT_TRUE(store_.UpdateCustomers({u}, kNow).ok());
  clock_.Advance(hours(24 * 77));  // the Spring Festival within reach
  CalendarPlanner planner(live_, store_, clock_, {}, *metrics_, [](TimePoint) {});
  const std::atomic<bool> stopped{true};
  auto pass = planner.Pass(stopped);
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(*pass, 0);
  EXPECT_TRUE(store_.Journey("O-1")->empty()) << "nothing planned after the stop";
}

}  // namespace
}  // namespace mot::scheduler
