#include "touchpoint-scheduler/app/dispatcher.h"

#include "scheduler_app_fixture.h"
#include "touchpoint-scheduler/app/command_topics.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(SchedulerAppTest, TheDispatcherSendsEachCommandToItsServiceKeyedByCustomer) {
  // Planned ahead (an hour in the future), due once the clock has moved eight days.
  ASSERT_TRUE(handler_.Handle(EventMessage("contract_signed", kNow + hours(1)), publisher_).ok());
  ASSERT_TRUE(handler_.Handle(EventMessage("repair_requested", kNow + hours(1)), publisher_).ok());
  EXPECT_TRUE(publisher_.sent.empty()) << "nothing was due when planned";
  clock_.Advance(hours(24 * 8 + 2));
  testkit::FakePublisher publisher;
  DispatcherOptions options;
  Dispatcher dispatcher(store_, publisher, clock_, options, *metrics_);
  auto pass = dispatcher.DispatchDue();
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->dispatched, 3);
  std::multiset<std::string> topics;
  for (const auto& m : publisher.sent) {
    topics.insert(m.topic);
    EXPECT_EQ(m.key, "C-1");
  }
  EXPECT_EQ(topics, (std::multiset<std::string>{kNotificationCommandsTopic, kSurveyCommandsTopic,
                                                kTicketingCommandsTopic}));
  auto journey = store_.Journey("C-1");
  ASSERT_TRUE(journey.ok());
  std::multiset<std::string> dispatched;
  for (const auto& tp : *journey) {
    if (tp.status() == v1::TOUCHPOINT_STATUS_DISPATCHED) dispatched.insert(tp.step_id());
  }
  EXPECT_EQ(dispatched, (std::multiset<std::string>{"welcome_after_signing", "sales_stage_survey",
                                                    "repair_ticket"}));
  EXPECT_EQ(dispatcher.DispatchDue()->dispatched, 0) << "dispatched twice";
  EXPECT_EQ(CommandTopic("fax"), "");
}

}  // namespace
}  // namespace mot::scheduler
