#include "app/survey_app.h"
#include "domain/catalogue.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/topics.h"
#include "memory_record_store.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"

namespace mot::survey {
namespace {

v1::CreateSurveyCommand Command(TimePoint at) {
  v1::CreateSurveyCommand cmd;
  cmd.set_command_id("tp-9");
  cmd.set_touchpoint_id("tp-9");
  cmd.set_customer_id("C-1");
  cmd.set_survey_id("stage_satisfaction_prospect_1");
  *cmd.mutable_requested_at() = ToProto(at);
  return cmd;
}

TEST(Survey, InstanceFromShippedCatalogue) {
  auto catalogue = SurveyCatalogue::FromYaml(testing::ShippedConfig("surveys.yaml"));
  ASSERT_TRUE(catalogue.ok()) << catalogue.status();
  const TimePoint t0 = FromUnixMillis(1'793'520'000'000);
  auto s = CreateInstance(*catalogue, Command(t0), t0 - std::chrono::hours(1));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->stage(), "PROSPECT_1");
  EXPECT_EQ(s->status(), v1::SURVEY_STATUS_OPEN);
  EXPECT_GT(s->questions_size(), 0);
  EXPECT_EQ(FromProto(s->expires_at()) - t0, std::chrono::hours(24 * 14));
  auto unknown = Command(t0);
  unknown.set_survey_id("nps_forever");
  EXPECT_TRUE(absl::IsInvalidArgument(CreateInstance(*catalogue, unknown, t0).status()));
  // Created late (a backfilled event): open for the full 14 days from creation.
  const TimePoint late = t0 + std::chrono::hours(24 * 40);
  auto backfilled = CreateInstance(*catalogue, Command(t0), late);
  ASSERT_TRUE(backfilled.ok());
  EXPECT_EQ(FromProto(backfilled->created_at()), late);
  EXPECT_EQ(FromProto(backfilled->expires_at()) - late, std::chrono::hours(24 * 14));
}

TEST(Survey, RedeliveredCommandCreatesOneInstance) {
  auto catalogue = *SurveyCatalogue::FromYaml(testing::ShippedConfig("surveys.yaml"));
  testing::MemoryRecordStore store;
  testing::FakePublisher publisher;
  testing::ManualClock clock(FromUnixMillis(1'793'520'000'000));
  CommandHandler handler(catalogue, store, clock);
  auto in = testing::Message(kSurveyCommandsTopic,
                             Command(FromUnixMillis(1'793'520'000'000)).SerializeAsString());
  ASSERT_TRUE(handler.Handle(in, publisher).ok());
  ASSERT_TRUE(handler.Handle(in, publisher).ok());
  EXPECT_EQ(store.ListByCustomer("C-1", 10)->size(), 1u);
  ASSERT_EQ(publisher.sent.size(), 2u);
  EXPECT_EQ(publisher.sent[0].topic, kSurveyEventsTopic);
}

TEST(Survey, CatalogueErrorsNameTheSurvey) {
  auto s = SurveyCatalogue::FromYaml("surveys: {s1: {stage: X, title: T, questions: [q]}}");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "survey 's1': 'valid_for' is required");
}

}  // namespace
}  // namespace mot::survey
