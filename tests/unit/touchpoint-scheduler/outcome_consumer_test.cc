#include "touchpoint-scheduler/app/outcome_consumer.h"

#include "scheduler_app_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

// The other services' domain events trigger steps: a resolved repair, a detractor.
TEST_F(SchedulerAppTest, DomainEventsTriggerTheFeedbackSteps) {
  OutcomeHandler outcomes(store_, clock_, live_, handler_);
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
  ASSERT_TRUE(
      outcomes
          .Handle(testkit::Message(kTicketEventsTopic, resolved.SerializeAsString()), publisher_)
          .ok());
  EXPECT_EQ(store_.Journey("C-1")->size(), 1u);

  survey::v1::SurveyEvent detractor;
  detractor.set_type(survey::v1::SURVEY_EVENT_TYPE_DETRACTOR);
  detractor.mutable_instance()->set_id("sv-3");
  detractor.mutable_instance()->set_customer_id("C-1");
  ASSERT_TRUE(
      outcomes
          .Handle(testkit::Message(kSurveyEventsTopic, detractor.SerializeAsString()), publisher_)
          .ok());
  ASSERT_EQ(publisher_.sent.size(), 1u) << "the follow-up ticket is due at once";
  EXPECT_EQ(publisher_.sent[0].topic, kTicketingCommandsTopic);
  ticketing::v1::OpenTicketCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(publisher_.sent[0].payload));
  EXPECT_EQ(cmd.kind(), "detractor_follow_up");
}

// A type no version of this service knows (a newer publisher, or noise) is dead-lettered,
// not taken for something it is not.
TEST_F(SchedulerAppTest, DomainEventsOfAnUnknownTypeAreDeadLettered) {
  OutcomeHandler outcomes(store_, clock_, live_, handler_);
  ticketing::v1::TicketEvent ticket;
  ticket.set_type(static_cast<ticketing::v1::TicketEventType>(99));
  ticket.mutable_ticket()->set_id("tk-9");
  ticket.mutable_ticket()->set_customer_id("C-1");
  auto s =
      outcomes.Handle(testkit::Message(kTicketEventsTopic, ticket.SerializeAsString()), publisher_);
  EXPECT_EQ(s.message(), "type is not a known event type (TicketEventType)");
  EXPECT_EQ(DeadLetterKind(std::string(s.message())), "unknown_type");
  survey::v1::SurveyEvent answered;
  answered.set_type(static_cast<survey::v1::SurveyEventType>(99));
  answered.mutable_instance()->set_id("sv-9");
  answered.mutable_instance()->set_customer_id("C-1");
  s = outcomes.Handle(testkit::Message(kSurveyEventsTopic, answered.SerializeAsString()),
                      publisher_);
  EXPECT_EQ(s.message(), "type is not a known event type (SurveyEventType)");
  notification::v1::NotificationEvent sent;
  sent.mutable_delivery()->set_id("dl-9");
  sent.mutable_delivery()->set_customer_id("C-1");
  sent.mutable_delivery()->set_status(static_cast<notification::v1::DeliveryStatus>(99));
  s = outcomes.Handle(testkit::Message(kNotificationEventsTopic, sent.SerializeAsString()),
                      publisher_);
  EXPECT_EQ(s.message(), "delivery.status is not a known delivery status (DeliveryStatus)");
  EXPECT_EQ(DeadLetterKind(std::string(s.message())), "unknown_type");
  EXPECT_TRUE(store_.Journey("C-1")->empty());
  EXPECT_TRUE(publisher_.sent.empty());
}

}  // namespace
}  // namespace mot::scheduler
