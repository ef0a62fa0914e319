// CreateSurveyCommand consumed: refused out of its time window, created once, with a link.
#include "survey/app/command_consumer.h"

#include "fakes.h"
#include "gtest/gtest.h"
#include "memory_record_store.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "survey/app/survey_records.h"
#include "survey/domain/catalogue.h"
#include "survey_command.h"

namespace mot::survey {
namespace {

using namespace std::chrono_literals;

TEST(Survey, ACommandRequestedFarFromNowIsRefusedNamingTheField) {
  auto catalogue = *SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  testkit::MemoryRecordStore store;
  testkit::FakePublisher publisher;
  const TimePoint now = FromUnixMillis(1'793'520'000'000);
  testkit::ManualClock clock(now);
  CommandHandler handler(catalogue, store, clock, "https://survey.example.com", 24h);
  auto cmd = Command(now);
  cmd.mutable_requested_at()->set_seconds(253402214400);  // 9999-12-31
  auto s =
      handler.Handle(testkit::Message(kSurveyCommandsTopic, cmd.SerializeAsString()), publisher);
  EXPECT_EQ(s.message(), "requested_at 9999-12-31T00:00:00Z is too far in the future");
  cmd.mutable_requested_at()->set_seconds(-2208988800);  // 1900-01-01
  s = handler.Handle(testkit::Message(kSurveyCommandsTopic, cmd.SerializeAsString()), publisher);
  EXPECT_EQ(s.message(), "requested_at 1900-01-01T00:00:00Z is too far in the past");
  EXPECT_TRUE(store.ListByCustomer("C-1", 10)->empty());
  EXPECT_TRUE(publisher.sent.empty());
  ASSERT_TRUE(handler
                  .Handle(testkit::Message(kSurveyCommandsTopic, Command(now).SerializeAsString()),
                          publisher)
                  .ok());
}

TEST(Survey, RedeliveredCommandCreatesOneInstance) {
  auto catalogue = *SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  testkit::MemoryRecordStore store;
  testkit::FakePublisher publisher;
  testkit::ManualClock clock(FromUnixMillis(1'793'520'000'000));
  CommandHandler handler(catalogue, store, clock, "https://survey.example.com", 24h);
  auto in = testkit::Message(kSurveyCommandsTopic,
                             Command(FromUnixMillis(1'793'520'000'000)).SerializeAsString());
  ASSERT_TRUE(handler.Handle(in, publisher).ok());
  ASSERT_TRUE(handler.Handle(in, publisher).ok());
  EXPECT_EQ(store.ListByCustomer("C-1", 10)->size(), 1u);
  ASSERT_EQ(publisher.sent.size(), 2u);
  EXPECT_EQ(publisher.sent[0].topic, kSurveyEventsTopic);
  // Both events carry the one link: an unguessable token mapped to the instance.
  v1::SurveyEvent first, again;
  ASSERT_TRUE(first.ParseFromString(publisher.sent[0].payload));
  ASSERT_TRUE(again.ParseFromString(publisher.sent[1].payload));
  const std::string link = first.instance().link();
  const std::string prefix = "https://survey.example.com/s/";
  ASSERT_EQ(link.rfind(prefix, 0), 0u) << link;
  const std::string token = link.substr(prefix.size());
  EXPECT_EQ(token.size(), 22u) << "128 random bits in URL-safe base64";
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_EQ(again.instance().link(), link);
  EXPECT_EQ(*store.Get(LinkKey(token)), std::optional<std::string>(first.instance().id()));
  EXPECT_NE(NewLinkToken(), NewLinkToken());
}

}  // namespace
}  // namespace mot::survey
