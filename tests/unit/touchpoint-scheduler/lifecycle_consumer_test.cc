#include "scheduler_app_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(SchedulerAppTest, AHandoverPlansItsStepsOnceAndRecordsTheMilestone) {
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow), publisher_).ok());
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow), publisher_).ok());  // redelivered
  EXPECT_EQ(store_.Journey("C-1")->size(), 15u);
  // The congratulations are due at once: sent with the event, not armed.
  EXPECT_EQ(store_.Timers()->armed, 14);
  EXPECT_EQ(**store_.Milestone("C-1", "handover"), kNow);
  EXPECT_EQ(metrics_->events.Value(), 2);
}

TEST_F(SchedulerAppTest, AHandoverHeardTwoYearsLateSendsNothingStale) {
  const TimePoint handed = kNow - hours(24 * (730 + 100));
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", handed), publisher_).ok());
  EXPECT_TRUE(publisher_.sent.empty()) << "nothing of that handover is still in time";
  int skipped = 0, scheduled = 0;
  const auto journey = store_.Journey("C-1");
  ASSERT_TRUE(journey.ok());
  for (const auto& tp : *journey) {
    if (tp.status() == v1::TOUCHPOINT_STATUS_SKIPPED) {
      ++skipped;
      EXPECT_NE(tp.outcome().find("the mesh heard of it"), std::string::npos)
          << tp.step_id() << ": " << tp.outcome();
      continue;
    }
    ASSERT_EQ(tp.status(), v1::TOUCHPOINT_STATUS_SCHEDULED) << tp.step_id();
    EXPECT_GT(FromProto(tp.due_at()), kNow) << tp.step_id();
    ++scheduled;
  }
  EXPECT_EQ(scheduled, store_.Timers()->armed) << "a timer for each one ahead, none for the rest";
  EXPECT_GE(skipped, 9);
  EXPECT_EQ(metrics_->touchpoints.Add({{"step", "move_in_congratulations"}, {"status", "skipped"}})
                .Value(),
            1);
  // Redelivered: stored once, still nothing sent.
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", handed), publisher_).ok());
  EXPECT_TRUE(publisher_.sent.empty());
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
  ASSERT_TRUE(
      store_.Advance({"C-1", (*journey)[0].id(), v1::TOUCHPOINT_STATUS_DONE, "", ""}, kNow).ok());
  ASSERT_TRUE(handler_.Handle(EventMessage("repair_requested", kNow), publisher_).ok());
  EXPECT_EQ(publisher_.sent.size(), 2u);
  // A failed send is the event's failure: it is handled again.
  publisher_.fail_with = absl::UnavailableError("broker down");
  EXPECT_TRUE(
      absl::IsUnavailable(handler_.Handle(EventMessage("contract_signed", kNow), publisher_)));
}

TEST_F(SchedulerAppTest, EventsOutsideTheWindowOrWithOversizedCommandsAreRefused) {
  auto s = handler_.Handle(EventMessage("handover", kNow + hours(48)), publisher_);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("too far in the future"), std::string::npos);
  s = handler_.Handle(EventMessage("contract_signed", kNow, 950'000), publisher_);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("step 'welcome_after_signing': its command would be"),
            std::string::npos)
      << s;
  EXPECT_TRUE(store_.Journey("C-1")->empty()) << "nothing of a refused event is stored";
  EXPECT_FALSE(store_.Milestone("C-1", "contract_signed")->has_value());
}

TEST_F(SchedulerAppTest, ABatchPlansTheGoodEventsRefusesTheBadOneAndWakesTheDispatcher) {
  std::vector<TimePoint> woken;
  LifecycleHandler handler(live_, store_, clock_, PlanningLimits{}, *metrics_,
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

TEST_F(SchedulerAppTest, AnEventOfAnUnknownTypeIsDeadLetteredNamingTheRule) {
  const absl::Status s = handler_.Handle(EventMessage("moon_landing", kNow), publisher_);
  ASSERT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_EQ(s.message(),
            "type is not a known event type (docs/events.md, the playbook's triggers)");
  EXPECT_EQ(DeadLetterKind(std::string(s.message())), "unknown_type");
  EXPECT_EQ(metrics_->events.Value(), 0);
  EXPECT_TRUE(store_.Journey("C-1")->empty());
  // A catalogue type no step uses yet is known: accepted, nothing planned.
  ASSERT_TRUE(handler_.Handle(EventMessage("referral_made", kNow), publisher_).ok());
  EXPECT_EQ(metrics_->events.Value(), 1);
}

TEST_F(SchedulerAppTest, AStoreFailureIsTransient) {
  store_.fail_with = absl::UnavailableError("redis down");
  EXPECT_TRUE(
      absl::IsUnavailable(handler_.Handle(EventMessage("repair_requested", kNow), publisher_)));
}

TEST_F(SchedulerAppTest, ARefusedHandoverCancelsThePendingHandoverStepsAndOpensAFollowUp) {
  ASSERT_TRUE(handler_.Handle(EventMessage("contract_signed", kNow), publisher_).ok());
  clock_.Advance(hours(24 * 60));
  ASSERT_TRUE(handler_.Handle(EventMessage("handover_refused", clock_.Now()), publisher_).ok());
  auto by = ByStep();
  for (const char* step : {"site_open_day", "handover_guide", "fee_explanation"}) {
    EXPECT_EQ(by[step].status(), v1::TOUCHPOINT_STATUS_CANCELLED) << step;
    EXPECT_EQ(by[step].outcome(), "cancelled by handover_refused (event ev-handover_refused)")
        << step;
  }
  EXPECT_EQ(by["refused_handover_follow_up"].status(), v1::TOUCHPOINT_STATUS_DISPATCHED);
  EXPECT_EQ(publisher_.sent.back().topic, kTicketingCommandsTopic);
  EXPECT_EQ(metrics_->touchpoints.Add({{"step", "site_open_day"}, {"status", "cancelled"}}).Value(),
            1);
  EXPECT_EQ(by["sales_stage_survey"].status(), v1::TOUCHPOINT_STATUS_SCHEDULED)
      << "not an exit of it";
}

TEST_F(SchedulerAppTest, InOneBatchAnExitSeesWhatCameBeforeIt) {
  std::vector<Work> batch;
  batch.push_back({EventMessage("contract_signed", kNow), &publisher_, {}});
  batch.push_back({EventMessage("unit_resold", kNow + hours(1)), &publisher_, {}});
  handler_.HandleBatch(batch);
  ASSERT_TRUE(batch[0].status.ok() && batch[1].status.ok());
  auto by = ByStep();
  EXPECT_EQ(by["site_open_day"].status(), v1::TOUCHPOINT_STATUS_CANCELLED);
  EXPECT_EQ(by["fee_explanation"].status(), v1::TOUCHPOINT_STATUS_SCHEDULED)
      << "a legal notice stays";
  EXPECT_EQ(by["welcome_after_signing"].status(), v1::TOUCHPOINT_STATUS_DISPATCHED);
}

TEST_F(SchedulerAppTest, ARescheduledHandoverMovesItsAnchoredTouchpoints) {
  ASSERT_TRUE(handler_.Handle(EventMessage("contract_signed", kNow), publisher_).ok());
  const TimePoint before = FromProto(ByStep()["site_open_day"].due_at());
  auto moved = EventMessage("handover_rescheduled", kNow + hours(1));
  lifecycle::v1::LifecycleEvent e;
  ASSERT_TRUE(e.ParseFromString(moved.payload));
  (*e.mutable_attributes())["planned_handover_date"] = "2027-09-30";
  moved.payload = e.SerializeAsString();
  ASSERT_TRUE(handler_.Handle(moved, publisher_).ok());
  auto site = ByStep()["site_open_day"];
  EXPECT_EQ(FromProto(site.previous_due_at()), before);
  EXPECT_EQ(FromProto(site.due_at()) - before, hours(24 * 92)) << "30 March -> 30 June";
  EXPECT_EQ(site.status(), v1::TOUCHPOINT_STATUS_SCHEDULED);
  // A malformed date: dead-lettered, naming the attribute.
  (*e.mutable_attributes())["planned_handover_date"] = "next spring";
  e.set_event_id("ev-bad");
  moved.payload = e.SerializeAsString();
  auto s = handler_.Handle(moved, publisher_);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("'planned_handover_date'"), std::string::npos);
}

}  // namespace
}  // namespace mot::scheduler
