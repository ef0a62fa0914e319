// The scheduler's handlers and dispatcher against the in-memory JourneyStore fake:
// no Kafka, no Redis (tests/integration/timer_test.cc runs the real store).
#include <set>

#include "app/scheduler_app.h"
#include "fake_journey_store.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/topics.h"
#include "prometheus/registry.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

const TimePoint kNow = FromUnixMillis(1'793'520'000'000);

class SchedulerAppTest : public ::testing::Test {
 protected:
  Incoming EventMessage(const std::string& type, TimePoint at, size_t note_bytes = 0) {
    lifecycle::v1::LifecycleEvent e;
    e.set_event_id("ev-" + type);
    e.set_type(type);
    e.set_customer_id("C-1");
    e.set_project_id("P-1");
    e.set_unit_id("U-1");
    *e.mutable_occurred_at() = ToProto(at);
    if (note_bytes > 0) (*e.mutable_attributes())["note"] = std::string(note_bytes, 'x');
    return testing::Message(kLifecycleTopic, e.SerializeAsString());
  }

  Playbook playbook_ = *Playbook::FromYaml(testing::ShippedConfig("playbook.yaml"));
  testing::FakeJourneyStore store_;
  testing::ManualClock clock_{kNow};
  prometheus::Registry registry_;
  std::unique_ptr<SchedulerMetrics> metrics_ = MakeSchedulerMetrics(registry_);
  LifecycleHandler handler_{playbook_, store_, clock_, PlanningLimits{}, *metrics_};
  testing::FakePublisher publisher_;
};

TEST_F(SchedulerAppTest, AHandoverPlansItsStepsOnceAndRecordsTheMilestone) {
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow), publisher_).ok());
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow), publisher_).ok());  // redelivered
  EXPECT_EQ(store_.Journey("C-1")->size(), 5u);
  // The congratulations are due at once: sent with the event, not armed.
  EXPECT_EQ(store_.Timers()->armed, 4);
  EXPECT_EQ(**store_.Milestone("C-1", "handover"), kNow);
  EXPECT_EQ(metrics_->events.Value(), 2);
}

TEST_F(SchedulerAppTest, WhatIsDueAlreadyIsSentWithTheEventAndAgainOnARedelivery) {
  ASSERT_TRUE(handler_.Handle(EventMessage("repair_requested", kNow), publisher_).ok());
  ASSERT_EQ(publisher_.sent.size(), 1u);
  EXPECT_EQ(publisher_.sent[0].topic, kTicketingCommandsTopic);
  EXPECT_EQ(publisher_.sent[0].key, "C-1");
  auto journey = store_.Journey("C-1");
  ASSERT_EQ(journey->size(), 1u);
  EXPECT_EQ((*journey)[0].status(), v1::TOUCHPOINT_STATUS_DISPATCHED);
  EXPECT_EQ(store_.Timers()->armed, 0) << "no timer for what is sent at once";
  // Redelivered (its send may never have been acknowledged): sent again, the same
  // command (ticketing opens one ticket per command id).
  ASSERT_TRUE(handler_.Handle(EventMessage("repair_requested", kNow), publisher_).ok());
  ASSERT_EQ(publisher_.sent.size(), 2u);
  EXPECT_EQ(publisher_.sent[1].payload, publisher_.sent[0].payload);
  // Once done, a redelivery sends nothing.
  ASSERT_TRUE(store_.Advance({"C-1", (*journey)[0].id(), v1::TOUCHPOINT_STATUS_DONE, "", ""}, kNow).ok());
  ASSERT_TRUE(handler_.Handle(EventMessage("repair_requested", kNow), publisher_).ok());
  EXPECT_EQ(publisher_.sent.size(), 2u);
  // A failed send is the event's failure: it is handled again.
  publisher_.fail_with = absl::UnavailableError("broker down");
  EXPECT_TRUE(absl::IsUnavailable(
      handler_.Handle(EventMessage("contract_signed", kNow), publisher_)));
}

TEST_F(SchedulerAppTest, EventsOutsideTheWindowOrWithOversizedCommandsAreRefused) {
  auto s = handler_.Handle(EventMessage("handover", kNow + hours(48)), publisher_);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("too far in the future"), std::string::npos);
  s = handler_.Handle(EventMessage("contract_signed", kNow, 950'000), publisher_);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("step 'welcome_after_signing': its command would be"),
            std::string::npos) << s;
  EXPECT_TRUE(store_.Journey("C-1")->empty()) << "nothing of a refused event is stored";
  EXPECT_FALSE(store_.Milestone("C-1", "contract_signed")->has_value());
}

TEST_F(SchedulerAppTest, ABatchPlansTheGoodEventsRefusesTheBadOneAndWakesTheDispatcher) {
  std::vector<TimePoint> woken;
  LifecycleHandler handler(playbook_, store_, clock_, PlanningLimits{}, *metrics_,
                           [&](TimePoint due) { woken.push_back(due); });
  std::vector<Work> batch;
  for (auto in : {EventMessage("contract_signed", kNow), EventMessage("handover", kNow + hours(48)),
                  EventMessage("repair_requested", kNow)}) {
    batch.push_back({std::move(in), &publisher_, {}});
  }
  handler.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_TRUE(absl::IsInvalidArgument(batch[1].status)) << batch[1].status;
  EXPECT_TRUE(batch[2].status.ok()) << batch[2].status;
  EXPECT_EQ(**store_.Milestone("C-1", "contract_signed"), kNow);
  EXPECT_FALSE(store_.Milestone("C-1", "handover")->has_value());
  EXPECT_EQ(metrics_->events.Value(), 2);
  // What is due already went out with the events: the welcome and the repair ticket.
  std::set<std::string> topics;
  for (const auto& m : publisher_.sent) topics.insert(m.topic);
  EXPECT_EQ(topics, (std::set<std::string>{kNotificationCommandsTopic, kTicketingCommandsTopic}));
  // Once per batch, with the earliest due time of what was armed: the 准1 survey.
  ASSERT_EQ(woken.size(), 1u);
  EXPECT_EQ(woken[0], kNow + hours(24 * 7));
}

TEST_F(SchedulerAppTest, AStoreFailureFailsTheWholeBatchTransiently) {
  store_.fail_with = absl::UnavailableError("redis down");
  NoPublisher none;
  std::vector<Work> batch;
  batch.push_back({EventMessage("repair_requested", kNow), &none, {}});
  batch.push_back({EventMessage("handover", kNow + hours(48)), &none, {}});
  handler_.HandleBatch(batch);
  EXPECT_TRUE(absl::IsUnavailable(batch[0].status));
  EXPECT_TRUE(absl::IsInvalidArgument(batch[1].status)) << "refused whatever the store does";
}

TEST_F(SchedulerAppTest, AnEventOfAnUnknownTypeIsCountedAndIgnored) {
  ASSERT_TRUE(handler_.Handle(EventMessage("moon_landing", kNow), publisher_).ok());
  EXPECT_EQ(metrics_->ignored.Value(), 1);
  EXPECT_EQ(metrics_->events.Value(), 0);
  EXPECT_TRUE(store_.Journey("C-1")->empty());
  // A catalogue type no step uses yet is known: accepted, nothing planned.
  ASSERT_TRUE(handler_.Handle(EventMessage("referral_made", kNow), publisher_).ok());
  EXPECT_EQ(metrics_->ignored.Value(), 1);
  EXPECT_EQ(metrics_->events.Value(), 1);
}

TEST_F(SchedulerAppTest, AStoreFailureIsTransient) {
  store_.fail_with = absl::UnavailableError("redis down");
  EXPECT_TRUE(absl::IsUnavailable(handler_.Handle(EventMessage("repair_requested", kNow), publisher_)));
}

TEST_F(SchedulerAppTest, TheDispatcherSendsEachCommandToItsServiceKeyedByCustomer) {
  // Planned ahead (an hour in the future), due once the clock has moved eight days.
  ASSERT_TRUE(handler_.Handle(EventMessage("contract_signed", kNow + hours(1)), publisher_).ok());
  ASSERT_TRUE(handler_.Handle(EventMessage("repair_requested", kNow + hours(1)), publisher_).ok());
  EXPECT_TRUE(publisher_.sent.empty()) << "nothing was due when planned";
  clock_.Advance(hours(24 * 8 + 2));
  testing::FakePublisher publisher;
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
  ASSERT_EQ(journey->size(), 3u);
  for (const auto& tp : *journey) {
    EXPECT_EQ(tp.status(), v1::TOUCHPOINT_STATUS_DISPATCHED) << tp.step_id();
  }
  EXPECT_EQ(dispatcher.DispatchDue()->dispatched, 0) << "dispatched twice";
  EXPECT_EQ(CommandTopic("fax"), "");
}

}  // namespace
}  // namespace mot::scheduler
