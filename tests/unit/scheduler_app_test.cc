// The scheduler's handlers and dispatcher against the in-memory JourneyStore fake:
// no Kafka, no Redis (tests/integration/timer_test.cc runs the real store).
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
};

TEST_F(SchedulerAppTest, AHandoverPlansItsStepsOnceAndRecordsTheMilestone) {
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow)).ok());
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow)).ok());  // redelivered
  EXPECT_EQ(store_.Journey("C-1")->size(), 5u);
  EXPECT_EQ(store_.Timers()->armed, 5);
  EXPECT_EQ(**store_.Milestone("C-1", "handover"), kNow);
  EXPECT_EQ(metrics_->events.Value(), 2);
}

TEST_F(SchedulerAppTest, EventsOutsideTheWindowOrWithOversizedCommandsAreRefused) {
  auto s = handler_.Handle(EventMessage("handover", kNow + hours(48)));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("too far in the future"), std::string::npos);
  s = handler_.Handle(EventMessage("contract_signed", kNow, 950'000));
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
  NoPublisher none;
  std::vector<Work> batch;
  for (auto in : {EventMessage("contract_signed", kNow), EventMessage("handover", kNow + hours(48)),
                  EventMessage("repair_requested", kNow)}) {
    batch.push_back({std::move(in), &none, {}});
  }
  handler.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_TRUE(absl::IsInvalidArgument(batch[1].status)) << batch[1].status;
  EXPECT_TRUE(batch[2].status.ok()) << batch[2].status;
  EXPECT_EQ(**store_.Milestone("C-1", "contract_signed"), kNow);
  EXPECT_FALSE(store_.Milestone("C-1", "handover")->has_value());
  EXPECT_EQ(metrics_->events.Value(), 2);
  // Once per batch, with the earliest due time: the welcome is due at once.
  ASSERT_EQ(woken.size(), 1u);
  EXPECT_EQ(woken[0], kNow);
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

TEST_F(SchedulerAppTest, AStoreFailureIsTransient) {
  store_.fail_with = absl::UnavailableError("redis down");
  EXPECT_TRUE(absl::IsUnavailable(handler_.Handle(EventMessage("repair_requested", kNow))));
}

TEST_F(SchedulerAppTest, TheDispatcherSendsEachCommandToItsServiceKeyedByCustomer) {
  ASSERT_TRUE(handler_.Handle(EventMessage("contract_signed", kNow - hours(24 * 8))).ok());
  ASSERT_TRUE(handler_.Handle(EventMessage("repair_requested", kNow)).ok());
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
