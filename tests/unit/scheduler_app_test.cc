// The scheduler's handlers and dispatcher against the in-memory JourneyStore fake:
// no Kafka, no Redis (tests/integration/timer_test.cc runs the real store).
#include <fstream>
#include <map>
#include <set>

#include "app/scheduler_app.h"
#include "fake_journey_store.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/codec.h"
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
    auto& attributes = *e.mutable_attributes();
    attributes["planned_handover_date"] = "2027-06-30";
    attributes["warranty_end_date"] = "2031-11-01";
    attributes["tier"] = "A";
    return testkit::Message(kLifecycleTopic, e.SerializeAsString());
  }
  std::map<std::string, v1::Touchpoint> ByStep() {
    std::map<std::string, v1::Touchpoint> out;
    const auto journey = store_.Journey("C-1");
    for (const auto& tp : *journey) out[tp.step_id()] = tp;
    return out;
  }

  Playbook playbook_ = *Playbook::FromYaml(testkit::ShippedConfig("playbook.yaml"));
  LivePlaybook live_{playbook_};
  testkit::FakeJourneyStore store_;
  testkit::ManualClock clock_{kNow};
  prometheus::Registry registry_;
  std::unique_ptr<SchedulerMetrics> metrics_ = MakeSchedulerMetrics(registry_);
  LifecycleHandler handler_{live_, store_, clock_, PlanningLimits{}, *metrics_};
  testkit::FakePublisher publisher_;
};

TEST_F(SchedulerAppTest, AHandoverPlansItsStepsOnceAndRecordsTheMilestone) {
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow), publisher_).ok());
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow), publisher_).ok());  // redelivered
  EXPECT_EQ(store_.Journey("C-1")->size(), 14u);
  // The congratulations are due at once: sent with the event, not armed.
  EXPECT_EQ(store_.Timers()->armed, 13);
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
  EXPECT_EQ(s.message(), "type is not a known event type (docs/events.md, the playbook's triggers)");
  EXPECT_EQ(DeadLetterKind(std::string(s.message())), "unknown_type");
  EXPECT_EQ(metrics_->events.Value(), 0);
  EXPECT_TRUE(store_.Journey("C-1")->empty());
  // A catalogue type no step uses yet is known: accepted, nothing planned.
  ASSERT_TRUE(handler_.Handle(EventMessage("referral_made", kNow), publisher_).ok());
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

TEST_F(SchedulerAppTest, ARefusedHandoverCancelsThePendingHandoverStepsAndOpensAFollowUp) {
  ASSERT_TRUE(handler_.Handle(EventMessage("contract_signed", kNow), publisher_).ok());
  clock_.Advance(hours(24 * 60));
  ASSERT_TRUE(handler_.Handle(EventMessage("handover_refused", clock_.Now()), publisher_).ok());
  auto by = ByStep();
  for (const char* step : {"site_open_day", "handover_guide", "fee_explanation", "move_in_cleaning"}) {
    EXPECT_EQ(by[step].status(), v1::TOUCHPOINT_STATUS_CANCELLED) << step;
    EXPECT_EQ(by[step].outcome(), "cancelled by handover_refused (event ev-handover_refused)") << step;
  }
  EXPECT_EQ(by["refused_handover_follow_up"].status(), v1::TOUCHPOINT_STATUS_DISPATCHED);
  EXPECT_EQ(publisher_.sent.back().topic, kTicketingCommandsTopic);
  EXPECT_EQ(metrics_->touchpoints.Add({{"step", "site_open_day"}, {"status", "cancelled"}}).Value(), 1);
  EXPECT_EQ(by["sales_stage_survey"].status(), v1::TOUCHPOINT_STATUS_SCHEDULED) << "not an exit of it";
}

TEST_F(SchedulerAppTest, InOneBatchAnExitSeesWhatCameBeforeIt) {
  std::vector<Work> batch;
  batch.push_back({EventMessage("contract_signed", kNow), &publisher_, {}});
  batch.push_back({EventMessage("unit_resold", kNow + hours(1)), &publisher_, {}});
  handler_.HandleBatch(batch);
  ASSERT_TRUE(batch[0].status.ok() && batch[1].status.ok());
  auto by = ByStep();
  EXPECT_EQ(by["site_open_day"].status(), v1::TOUCHPOINT_STATUS_CANCELLED);
  EXPECT_EQ(by["fee_explanation"].status(), v1::TOUCHPOINT_STATUS_SCHEDULED) << "a legal notice stays";
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

TEST_F(SchedulerAppTest, ProfilesAreCheckedAndKeptForPlanning) {
  ProfileHandler profiles(store_, clock_, *metrics_);
  customer::v1::CustomerProfile p;
  p.set_customer_id("C-9");
  p.set_tier("B");
  p.set_segment("elderly");
  p.set_time_zone("Asia/Hong_Kong");
  p.set_birth_month(2);
  p.set_birth_day(29);
  p.mutable_contact()->set_mobile("13800138000");
  std::vector<Work> batch;
  NoPublisher none;
  batch.push_back({testkit::Message(kCustomerTopic, p.SerializeAsString()), &none, {}});
  p.set_time_zone("Moon/Base");
  batch.push_back({testkit::Message(kCustomerTopic, p.SerializeAsString()), &none, {}});
  p.set_time_zone("");
  p.set_birth_day(30);
  batch.push_back({testkit::Message(kCustomerTopic, p.SerializeAsString()), &none, {}});
  profiles.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok());
  EXPECT_EQ(batch[1].status.message(), "time_zone is not an IANA time zone name");
  EXPECT_EQ(batch[2].status.message(), "birth_day is not a day of birth_month");
  auto facts = store_.Facts({"C-9"}, playbook_.stages());
  const auto& f = facts->at("C-9");
  EXPECT_EQ(f.tier, "B");
  EXPECT_EQ(f.segment, "elderly");
  EXPECT_EQ(f.time_zone, "Asia/Hong_Kong");
  EXPECT_EQ(f.birth_month, 2);
  EXPECT_EQ(f.birth_day, 29);
  EXPECT_EQ(metrics_->profiles.Value(), 1);
}

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
  auto pass = planner.Pass();
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(*pass, 3);
  ASSERT_TRUE(planner.Pass().ok());  // again: the same touchpoints, stored once
  for (const char* c : {"O-1", "O-2", "O-3"}) {
    auto journey = store_.Journey(c);
    ASSERT_EQ(journey->size(), 1u) << c;
    EXPECT_EQ((*journey)[0].step_id(), "spring_festival_greeting");
  }
  EXPECT_TRUE(store_.Journey("V-1")->empty()) << "a visitor is no owner";
  ASSERT_FALSE(woken.empty());
}

TEST_F(SchedulerAppTest, ABrokenPlaybookNeverReplacesTheGoodOne) {
  const std::string path = ::testing::TempDir() + "/playbook-reload.yaml";
  const std::string good = testkit::ShippedConfig("playbook.yaml");
  std::ofstream(path) << good;
  LivePlaybook live(*Playbook::FromYaml(good), path, good);
  EXPECT_FALSE(*live.Reload()) << "unchanged";
  std::ofstream(path) << good + "\n  - {id: broken, title: B, on: handover, after: soon, "
                                "action: {service: ticketing, kind: repair}}\n";
  auto refused = live.Reload();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), path + ": step 'broken': after: bad duration 'soon'");
  EXPECT_EQ(live.Get()->version(), "2026.11-6plus2");
  EXPECT_EQ(live.Get()->FindStep("broken"), nullptr);
  std::ofstream(path) << std::string(good).replace(good.find("2026.11-6plus2"), 14, "2026.12-next");
  ASSERT_TRUE(*live.Reload());
  EXPECT_EQ(live.Get()->version(), "2026.12-next");
}

TEST_F(SchedulerAppTest, ManagersCancelAndRescheduleWithAReasonNamingWhoAsked) {
  ASSERT_TRUE(handler_.Handle(EventMessage("contract_signed", kNow), publisher_).ok());
  SchedulerGrpc grpc(live_, store_, publisher_, clock_, PlanningLimits{}, *metrics_);
  grpc::ServerContext ctx;
  auto by = ByStep();
  v1::CancelTouchpointRequest cancel;
  cancel.set_customer_id("C-1");
  cancel.set_touchpoint_id(by["site_open_day"].id());
  cancel.set_reason("open day called off");
  v1::Touchpoint tp;
  auto s = grpc.CancelTouchpoint(&ctx, &cancel, &tp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "requested_by is required");
  cancel.set_requested_by("manager-li");
  ASSERT_TRUE(grpc.CancelTouchpoint(&ctx, &cancel, &tp).ok());
  EXPECT_EQ(tp.status(), v1::TOUCHPOINT_STATUS_CANCELLED);
  EXPECT_EQ(tp.outcome(), "cancelled by manager-li: open day called off");
  s = grpc.CancelTouchpoint(&ctx, &cancel, &tp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  cancel.set_touchpoint_id(by["welcome_after_signing"].id());  // sent already
  EXPECT_EQ(grpc.CancelTouchpoint(&ctx, &cancel, &tp).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  cancel.set_touchpoint_id("tp-none");
  EXPECT_EQ(grpc.CancelTouchpoint(&ctx, &cancel, &tp).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::RescheduleTouchpointRequest move;
  move.set_customer_id("C-1");
  move.set_touchpoint_id(by["handover_guide"].id());
  move.set_reason("owner abroad");
  move.set_requested_by("manager-li");
  EXPECT_EQ(grpc.RescheduleTouchpoint(&ctx, &move, &tp).error_message(), "due_at is required");
  *move.mutable_due_at() = ToProto(kNow - hours(1));
  EXPECT_EQ(grpc.RescheduleTouchpoint(&ctx, &move, &tp).error_message(), "due_at is in the past");
  *move.mutable_due_at() = ToProto(kNow + hours(24 * 300));
  ASSERT_TRUE(grpc.RescheduleTouchpoint(&ctx, &move, &tp).ok());
  EXPECT_EQ(FromProto(tp.due_at()), kNow + hours(24 * 300));
  EXPECT_EQ(tp.previous_due_at().seconds(), by["handover_guide"].due_at().seconds());

  // The journey a page at a time.
  v1::GetJourneyRequest page_req;
  page_req.set_customer_id("C-1");
  page_req.set_page_size(3);
  v1::GetJourneyResponse page;
  ASSERT_TRUE(grpc.GetJourney(&ctx, &page_req, &page).ok());
  EXPECT_EQ(page.touchpoints_size(), 3);
  EXPECT_EQ(page.total(), 8);
  EXPECT_EQ(page.stage(), "PROSPECT_1");
  int seen = page.touchpoints_size();
  while (!page.next_page_token().empty()) {
    page_req.set_page_token(page.next_page_token());
    page.Clear();
    ASSERT_TRUE(grpc.GetJourney(&ctx, &page_req, &page).ok());
    seen += page.touchpoints_size();
  }
  EXPECT_EQ(seen, page.total());
  page_req.set_page_token("x");
  EXPECT_EQ(grpc.GetJourney(&ctx, &page_req, &page).error_message(),
            "page_token is not one this service gave");

  v1::GetStageRequest stage_req;
  stage_req.set_customer_id("C-1");
  *stage_req.mutable_at() = ToProto(kNow + hours(24 * 200));
  v1::GetStageResponse stage;
  ASSERT_TRUE(grpc.GetStage(&ctx, &stage_req, &stage).ok());
  EXPECT_EQ(stage.stage(), "PROSPECT_2");
}

TEST_F(SchedulerAppTest, ValidateAndSimulateAPlaybookWithNoSideEffect) {
  SchedulerGrpc grpc(live_, store_, publisher_, clock_, PlanningLimits{}, *metrics_);
  grpc::ServerContext ctx;
  v1::ValidatePlaybookRequest v;
  v.set_playbook(testkit::ShippedConfig("playbook.yaml"));
  v.set_file_name("playbook.yaml");
  v1::ValidatePlaybookResponse vr;
  ASSERT_TRUE(grpc.ValidatePlaybook(&ctx, &v, &vr).ok());
  EXPECT_TRUE(vr.valid());
  EXPECT_EQ(vr.version(), "2026.11-6plus2");
  v.set_playbook("stages: {prospect_1: 6mo, runin_1: 6mo, runin_2: 12mo, stable: 3y}\n"
                 "steps: [{id: a, title: A, on: x, after: 3 days, action: {service: ticketing, kind: k}}]");
  ASSERT_TRUE(grpc.ValidatePlaybook(&ctx, &v, &vr).ok());
  EXPECT_FALSE(vr.valid());
  EXPECT_EQ(vr.error().rfind("playbook.yaml: step 'a': after: ", 0), 0u) << vr.error();

  v1::SimulateJourneyRequest sim;
  lifecycle::v1::LifecycleEvent* e = sim.add_events();
  ASSERT_TRUE(e->ParseFromString(EventMessage("contract_signed", kNow).payload));
  v1::SimulateJourneyResponse sr;
  ASSERT_TRUE(grpc.SimulateJourney(&ctx, &sim, &sr).ok());
  EXPECT_GT(sr.touchpoints_size(), 40) << "the monthly reports until the four-year review";
  EXPECT_EQ(sr.playbook_version(), "2026.11-6plus2");
  EXPECT_TRUE(store_.Journey("C-1")->empty()) << "no side effect";
  EXPECT_TRUE(publisher_.sent.empty());
  sim.add_events()->set_type("handover");
  EXPECT_EQ(grpc.SimulateJourney(&ctx, &sim, &sr).error_message(), "events[1].occurred_at is required");
}

// The other services' domain events trigger steps: a resolved repair, a detractor.
TEST_F(SchedulerAppTest, DomainEventsTriggerTheFeedbackSteps) {
  OutcomeHandler outcomes(store_, clock_, &live_, &handler_);
  ticketing::v1::TicketEvent resolved;  // closed, in fact
  resolved.set_type(ticketing::v1::TICKET_EVENT_TYPE_CLOSED);
  auto* t = resolved.mutable_ticket();
  t->set_id("tk-7");
  t->set_kind("repair");
  t->set_customer_id("C-1");
  *resolved.mutable_occurred_at() = ToProto(kNow);
  const auto message = testkit::Message(kTicketEventsTopic, resolved.SerializeAsString());
  ASSERT_TRUE(outcomes.Handle(message, publisher_).ok());
  ASSERT_TRUE(outcomes.Handle(message, publisher_).ok());  // redelivered: planned once
  auto journey = *store_.Journey("C-1");
  ASSERT_EQ(journey.size(), 1u);
  EXPECT_EQ(journey[0].step_id(), "repair_satisfaction_survey");
  EXPECT_EQ(FromProto(journey[0].due_at()), kNow + hours(24));
  EXPECT_EQ(journey[0].event_type(), "ticket.closed");
  // Another kind's resolution: no repair survey.
  t->set_id("tk-8");
  t->set_kind("revisit");
  ASSERT_TRUE(outcomes.Handle(testkit::Message(kTicketEventsTopic, resolved.SerializeAsString()),
                              publisher_).ok());
  EXPECT_EQ(store_.Journey("C-1")->size(), 1u);

  survey::v1::SurveyEvent detractor;
  detractor.set_type(survey::v1::SURVEY_EVENT_TYPE_DETRACTOR);
  detractor.mutable_instance()->set_id("sv-3");
  detractor.mutable_instance()->set_customer_id("C-1");
  ASSERT_TRUE(outcomes.Handle(testkit::Message(kSurveyEventsTopic, detractor.SerializeAsString()),
                              publisher_).ok());
  ASSERT_EQ(publisher_.sent.size(), 1u) << "the follow-up ticket is due at once";
  EXPECT_EQ(publisher_.sent[0].topic, kTicketingCommandsTopic);
  ticketing::v1::OpenTicketCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(publisher_.sent[0].payload));
  EXPECT_EQ(cmd.kind(), "detractor_follow_up");
  // Without a playbook (the handler alone), outcomes only.
  OutcomeHandler plain(store_, clock_);
  detractor.mutable_instance()->set_id("sv-4");
  ASSERT_TRUE(plain.Handle(testkit::Message(kSurveyEventsTopic, detractor.SerializeAsString())).ok());
  EXPECT_EQ(publisher_.sent.size(), 1u);
}

// A type no version of this service knows (a newer publisher, or noise) is dead-lettered,
// not taken for something it is not.
TEST_F(SchedulerAppTest, DomainEventsOfAnUnknownTypeAreDeadLettered) {
  OutcomeHandler outcomes(store_, clock_, &live_, &handler_);
  ticketing::v1::TicketEvent ticket;
  ticket.set_type(static_cast<ticketing::v1::TicketEventType>(99));
  ticket.mutable_ticket()->set_id("tk-9");
  ticket.mutable_ticket()->set_customer_id("C-1");
  auto s = outcomes.Handle(testkit::Message(kTicketEventsTopic, ticket.SerializeAsString()), publisher_);
  EXPECT_EQ(s.message(), "type is not a known event type (TicketEventType)");
  EXPECT_EQ(DeadLetterKind(std::string(s.message())), "unknown_type");
  survey::v1::SurveyEvent answered;
  answered.set_type(static_cast<survey::v1::SurveyEventType>(99));
  answered.mutable_instance()->set_id("sv-9");
  answered.mutable_instance()->set_customer_id("C-1");
  s = outcomes.Handle(testkit::Message(kSurveyEventsTopic, answered.SerializeAsString()), publisher_);
  EXPECT_EQ(s.message(), "type is not a known event type (SurveyEventType)");
  notification::v1::NotificationEvent sent;
  sent.mutable_delivery()->set_id("dl-9");
  sent.mutable_delivery()->set_customer_id("C-1");
  sent.mutable_delivery()->set_status(static_cast<notification::v1::DeliveryStatus>(99));
  s = outcomes.Handle(testkit::Message(kNotificationEventsTopic, sent.SerializeAsString()), publisher_);
  EXPECT_EQ(s.message(), "delivery.status is not a known delivery status (DeliveryStatus)");
  EXPECT_EQ(DeadLetterKind(std::string(s.message())), "unknown_type");
  EXPECT_TRUE(store_.Journey("C-1")->empty());
  EXPECT_TRUE(publisher_.sent.empty());
}

TEST(Triggers, DomainEventsBecomeTypedTriggersWithStableIds) {
  const TimePoint now = FromUnixMillis(1'793'520'000'000);
  notification::v1::NotificationEvent n;
  n.mutable_delivery()->set_id("dl-1");
  n.mutable_delivery()->set_customer_id("C-1");
  n.mutable_delivery()->set_status(notification::v1::DELIVERY_STATUS_FAILED);
  n.mutable_delivery()->set_channel("wecom");
  auto e = TriggerOf(n, now);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->type(), "notification.failed");
  EXPECT_EQ(e->event_id(), "notification.failed:dl-1");
  EXPECT_EQ(e->attributes().at("channel"), "wecom");
  EXPECT_EQ(FromProto(e->occurred_at()), now);
  n.mutable_delivery()->clear_customer_id();
  EXPECT_FALSE(TriggerOf(n, now).has_value());
  survey::v1::SurveyEvent s;
  s.set_type(survey::v1::SURVEY_EVENT_TYPE_COMPLETED);
  s.mutable_instance()->set_id("sv-1");
  s.mutable_instance()->set_customer_id("C-1");
  s.mutable_instance()->set_stage("RUNIN_2");
  const auto pb = *Playbook::FromYaml(testkit::ShippedConfig("playbook.yaml"));
  EXPECT_EQ(TriggerOf(s, now, pb)->type(), "survey.completed");
  EXPECT_EQ(TriggerOf(s, now, pb)->attributes().at("stage"), "RUNIN_2");
  // A created survey's link and its last day, the owners' local date (Asia/Shanghai):
  // 2026-11-30 20:00 UTC is 2026-12-01 there.
  s.set_type(survey::v1::SURVEY_EVENT_TYPE_CREATED);
  s.mutable_instance()->set_link("https://survey.example.com/s/abc");
  s.mutable_instance()->set_title("交付满意度调查");
  *s.mutable_instance()->mutable_expires_at() = ToProto(FromUnixMillis(1'796'068'800'000));
  auto created = TriggerOf(s, now, pb);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->type(), "survey.created");
  EXPECT_EQ(created->attributes().at("survey_link"), "https://survey.example.com/s/abc");
  EXPECT_EQ(created->attributes().at("survey_title"), "交付满意度调查");
  EXPECT_EQ(created->attributes().at("survey_expires_date"), "2026-12-01");
}

}  // namespace
}  // namespace mot::scheduler
