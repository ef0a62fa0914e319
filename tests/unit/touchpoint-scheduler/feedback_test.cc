#include "touchpoint-scheduler/domain/feedback.h"

#include "playbook_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST(Outcome, TicketOpenedSummarisesDeadlines) {
  ticketing::v1::TicketEvent e;
  e.set_type(ticketing::v1::TICKET_EVENT_TYPE_OPENED);
  auto* t = e.mutable_ticket();
  t->set_id("tk-1");
  t->set_kind("repair");
  t->set_touchpoint_id("tp-1");
  auto* d = t->add_deadlines();
  d->set_milestone("respond");
  *d->mutable_due_at() = ToProto(FromUnixMillis(0));
  auto o = OutcomeOf(e);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->status, v1::TOUCHPOINT_STATUS_DONE);
  EXPECT_EQ(o->summary, "repair ticket opened; respond by 1970-01-01T00:00:00Z");
  EXPECT_EQ(o->ref, "tk-1");
  t->clear_touchpoint_id();
  EXPECT_FALSE(OutcomeOf(e).has_value());
}

TEST(Outcome, FailedDeliveryFailsTheTouchpoint) {
  notification::v1::NotificationEvent e;
  e.mutable_delivery()->set_touchpoint_id("tp-2");
  e.mutable_delivery()->set_status(notification::v1::DELIVERY_STATUS_FAILED);
  e.mutable_delivery()->set_channel("wecom");
  e.mutable_delivery()->set_provider_response("HTTP 400");
  auto o = OutcomeOf(e);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->status, v1::TOUCHPOINT_STATUS_FAILED);
  EXPECT_EQ(o->summary, "not delivered via wecom (HTTP 400)");
  // One it could not send at all (a template its command cannot fill): the reason.
  e.mutable_delivery()->clear_provider_response();
  e.mutable_delivery()->set_reason("template 'welcome_signed': {event_date} has no variable");
  o = OutcomeOf(e);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->status, v1::TOUCHPOINT_STATUS_FAILED);
  EXPECT_EQ(o->summary, "not sent: template 'welcome_signed': {event_date} has no variable");
}

TEST(Outcome, AHeldMessageWaitsAndASuppressedOneCancelsTheTouchpoint) {
  notification::v1::NotificationEvent e;
  e.mutable_delivery()->set_id("dl-3");
  e.mutable_delivery()->set_touchpoint_id("tp-3");
  e.mutable_delivery()->set_status(notification::v1::DELIVERY_STATUS_DEFERRED);
  EXPECT_FALSE(OutcomeOf(e).has_value()) << "decided again when the quiet hours end";
  e.mutable_delivery()->set_status(notification::v1::DELIVERY_STATUS_RETRYING);
  EXPECT_FALSE(OutcomeOf(e).has_value()) << "tried again later";
  e.mutable_delivery()->set_status(notification::v1::DELIVERY_STATUS_SUPPRESSED);
  e.mutable_delivery()->set_reason("frequency_cap");
  auto o = OutcomeOf(e);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->status, v1::TOUCHPOINT_STATUS_CANCELLED);
  EXPECT_EQ(o->summary, "not sent: frequency_cap");
  EXPECT_EQ(o->ref, "dl-3");
  e.mutable_delivery()->set_status(notification::v1::DELIVERY_STATUS_FAILED);
  e.mutable_delivery()->set_reason("every_channel_failed");
  e.mutable_delivery()->add_tried("wecom: webhook answered HTTP 500");
  e.mutable_delivery()->add_tried("sms: sms refused: isv.TEMPLATE_MISSING");
  o = OutcomeOf(e);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->status, v1::TOUCHPOINT_STATUS_FAILED);
  EXPECT_EQ(o->summary,
            "not delivered on any channel: wecom: webhook answered HTTP 500; sms: sms refused: "
            "isv.TEMPLATE_MISSING");
  survey::v1::SurveyEvent sv;
  sv.set_type(survey::v1::SURVEY_EVENT_TYPE_SUPPRESSED);
  sv.mutable_instance()->set_id("sv-9");
  sv.mutable_instance()->set_touchpoint_id("tp-9");
  sv.mutable_instance()->set_reason("fatigue: repair survey sv-8 was sent within the window");
  o = OutcomeOf(sv);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->status, v1::TOUCHPOINT_STATUS_CANCELLED);
  EXPECT_EQ(o->summary, "fatigue: repair survey sv-8 was sent within the window");
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

// What a domain event means here, as the outcome consumer takes it (FeedbackOf).
TEST_F(PlaybookTest, FeedbackRefusesADomainEventThatNamesNoObject) {
  ticketing::v1::TicketEvent opened;
  opened.set_type(ticketing::v1::TICKET_EVENT_TYPE_OPENED);
  opened.mutable_ticket()->set_customer_id("C-1");
  auto f = FeedbackOf(opened, t0_, playbook_);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.status().message(), "ticket.id is required");
  survey::v1::SurveyEvent created;
  created.set_type(survey::v1::SURVEY_EVENT_TYPE_CREATED);
  created.mutable_instance()->set_id("sv-1");
  EXPECT_EQ(FeedbackOf(created, t0_, playbook_).status().message(),
            "instance.customer_id is required");
  notification::v1::NotificationEvent sent;
  sent.mutable_delivery()->set_id("d-1");
  EXPECT_EQ(FeedbackOf(sent, t0_, playbook_).status().message(),
            "delivery.customer_id (or delivery.role) is required");
}

TEST_F(PlaybookTest, FeedbackSettlesTheTouchpointADeliveryWasFor) {
  notification::v1::NotificationEvent delivered;
  auto* d = delivered.mutable_delivery();
  d->set_id("d-1");
  d->set_customer_id("C-1");
  d->set_touchpoint_id("tp-1");
  d->set_channel("sms");
  d->set_status(notification::v1::DELIVERY_STATUS_DELIVERED);
  auto f = FeedbackOf(delivered, t0_, playbook_);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(f->outcome);
  EXPECT_EQ(f->outcome->touchpoint_id, "tp-1");
  EXPECT_EQ(f->outcome->status, v1::TOUCHPOINT_STATUS_DONE);
  // A trigger only where a step of the playbook is triggered or cancelled by it.
  EXPECT_EQ(f->trigger.has_value(), playbook_.Triggers("notification.delivered") ||
                                        playbook_.Cancels("notification.delivered"));
}

TEST_F(PlaybookTest, FeedbackTriggersTheStepsOfAClosedRepairAndADetractor) {
  ticketing::v1::TicketEvent closed;
  closed.set_type(ticketing::v1::TICKET_EVENT_TYPE_CLOSED);
  closed.mutable_ticket()->set_id("tk-7");
  closed.mutable_ticket()->set_kind("repair");
  closed.mutable_ticket()->set_customer_id("C-1");
  auto f = FeedbackOf(closed, t0_, playbook_);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->outcome) << "no touchpoint opened it";
  ASSERT_TRUE(f->trigger);
  EXPECT_EQ(f->trigger->type(), "ticket.closed");
  EXPECT_EQ(f->trigger->event_id(), "ticket.closed:tk-7");
  EXPECT_EQ(FromProto(f->trigger->occurred_at()), t0_) << "no time of its own: now";

  survey::v1::SurveyEvent detractor;
  detractor.set_type(survey::v1::SURVEY_EVENT_TYPE_DETRACTOR);
  detractor.mutable_instance()->set_id("sv-3");
  detractor.mutable_instance()->set_customer_id("C-1");
  f = FeedbackOf(detractor, t0_, playbook_);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(f->trigger);
  EXPECT_EQ(f->trigger->type(), "survey.detractor");
}

TEST_F(PlaybookTest, FeedbackOfAnEventNoStepUsesIsTheOutcomeAlone) {
  ticketing::v1::TicketEvent opened;
  opened.set_type(ticketing::v1::TICKET_EVENT_TYPE_OPENED);
  opened.mutable_ticket()->set_id("tk-1");
  opened.mutable_ticket()->set_customer_id("C-1");
  opened.mutable_ticket()->set_touchpoint_id("tp-9");
  opened.mutable_ticket()->set_kind("handover_follow_up");
  auto f = FeedbackOf(opened, t0_, playbook_);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(f->outcome);
  EXPECT_EQ(f->outcome->status, v1::TOUCHPOINT_STATUS_DONE);
  EXPECT_EQ(f->trigger.has_value(),
            playbook_.Triggers("ticket.opened") || playbook_.Cancels("ticket.opened"));
}

}  // namespace
}  // namespace mot::scheduler
