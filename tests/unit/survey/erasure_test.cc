// Erasing a forgotten owner's survey: the free text and the link go, the scores stay;
// an open survey is withdrawn; erasing twice is erasing once.
#include "survey/domain/erasure.h"

#include "fakes.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace mot::survey {
namespace {

using google::protobuf::util::MessageDifferencer;

const TimePoint kNow = FromUnixMillis(1'793'520'000'000);

v1::SurveyInstance Open() {
  auto i = testkit::FromText<v1::SurveyInstance>(
      "id: 'S-1' survey_id: 'repair_satisfaction' customer_id: 'C-1' stage: 'RUNIN_2' "
      "status: SURVEY_STATUS_OPEN link: 'https://survey.example.com/s/abcdefghijklmnopqrstuv'");
  *i.mutable_expires_at() = ToProto(kNow + std::chrono::hours(24));
  return i;
}

TEST(SurveyErasure, AnOpenSurveyIsWithdrawnAndItsLinkErasedOnce) {
  const auto erased = EraseInstance(Open(), kNow);
  EXPECT_EQ(erased.link(), kErased);
  EXPECT_EQ(erased.status(), v1::SURVEY_STATUS_SUPPRESSED);
  EXPECT_EQ(erased.reason(), kForgotten);
  EXPECT_EQ(FromProto(erased.withdrawn_at()), kNow);
  EXPECT_EQ(FromProto(erased.erased_at()), kNow);
  EXPECT_TRUE(IsErased(erased));
  EXPECT_FALSE(IsErased(Open()));
  EXPECT_EQ(erased.stage(), "RUNIN_2");
  EXPECT_EQ(erased.customer_id(), "C-1") << "the key the owner's records are found by";
  const auto again = EraseInstance(erased, kNow + std::chrono::hours(5));
  EXPECT_TRUE(MessageDifferencer::Equals(again, erased)) << again.DebugString();
}

TEST(SurveyErasure, AnAnsweredOrExpiredSurveyKeepsItsStatus) {
  auto answered = Open();
  answered.set_status(v1::SURVEY_STATUS_COMPLETED);
  EXPECT_EQ(EraseInstance(answered, kNow).status(), v1::SURVEY_STATUS_COMPLETED);
  EXPECT_EQ(EraseInstance(answered, kNow).link(), kErased);
  const auto expired = EraseInstance(Open(), kNow + std::chrono::hours(25));
  EXPECT_EQ(expired.status(), v1::SURVEY_STATUS_OPEN) << "expired already: nothing to withdraw";
  EXPECT_TRUE(expired.reason().empty());
  auto unsent = Open();
  unsent.clear_link();
  unsent.set_status(v1::SURVEY_STATUS_SUPPRESSED);
  unsent.set_reason("fatigue: within the window of S-0");
  const auto e = EraseInstance(unsent, kNow);
  EXPECT_TRUE(e.link().empty());
  EXPECT_EQ(e.reason(), "fatigue: within the window of S-0");
}

TEST(SurveyErasure, TheTextGoesTheScoresAndTheCataloguesOptionsStay) {
  auto catalogue = *SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  const SurveyDefinition* def = catalogue.Find("repair_satisfaction");
  ASSERT_NE(def, nullptr);
  auto r = testkit::FromText<v1::SurveyResponse>(R"(
    instance_id: 'S-1' actor: 'web' detractor_reasons: 'nps:recommend'
    answers { key: 'on_time' value { expectation: 6 perception: 2 } }
    answers { key: 'overall' value { score: 2 } }
    answers { key: 'recommend' value { score: 3 } }
    answers { key: 'channel' value { text: '400热线' } }
    answers { key: 'comment' value { text: '张先生 13800138000 朝阳路 8 号' } }
    answers { key: 'gone' value { text: '一个已删去的问题的回答' } })");
  const auto erased = EraseResponse(r, def);
  EXPECT_EQ(erased.answers().at("comment").text(), kErased);
  EXPECT_EQ(erased.answers().at("gone").text(), kErased) << "no longer a question: erased";
  EXPECT_EQ(erased.answers().at("channel").text(), "400热线") << "an option, not the owner's words";
  EXPECT_EQ(erased.answers().at("overall").score(), 2);
  EXPECT_EQ(erased.answers().at("recommend").score(), 3);
  EXPECT_EQ(erased.answers().at("on_time").expectation(), 6);
  EXPECT_EQ(erased.answers().at("on_time").perception(), 2);
  EXPECT_EQ(erased.detractor_reasons(0), "nps:recommend");
  EXPECT_EQ(erased.DebugString().find("13800138000"), std::string::npos);
  EXPECT_TRUE(MessageDifferencer::Equals(EraseResponse(erased, def), erased));
  // The survey no longer in the catalogue: every text goes.
  EXPECT_EQ(EraseResponse(r, nullptr).answers().at("channel").text(), kErased);
}

}  // namespace
}  // namespace mot::survey
