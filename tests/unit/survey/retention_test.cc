// Retention: MOT_SURVEY_RETENTION (5 years unless set), counted from each instance's
// final state, set on the records when an instance is made or withdrawn.
#include "survey/domain/retention.h"

#include <map>
#include <string>

#include "gate_files.h"
#include "owner_surveys.h"
#include "survey/config.h"

namespace mot::survey {
namespace {

std::map<std::string, std::string> Valid() {
  return testkit::ValidEnv(
      {{"MOT_SURVEY_LINK_BASE", "https://survey.example.com"},
       {"MOT_SURVEYS", std::string(MOT_SOURCE_DIR) + "/deploy/config/surveys.yaml"}});
}

std::string Refusal(std::map<std::string, std::string> vars) {
  return testkit::Refusal<SurveyConfig>(std::move(vars));
}

TEST(SurveyConfig, RetentionIsFiveYearsUnlessSet) {
  auto c = SurveyConfig::FromEnv(Env(Valid()));
  EXPECT_EQ(c.retention, 24h * 365 * 5);
  EXPECT_EQ(c.owner_surveys_max, 1000);
  auto vars = Valid();
  vars["MOT_SURVEY_RETENTION"] = "400d";
  vars["MOT_SURVEY_OWNER_SURVEYS_MAX"] = "50";
  c = SurveyConfig::FromEnv(Env(vars));
  EXPECT_EQ(c.retention, 24h * 400);
  EXPECT_EQ(c.owner_surveys_max, 50);
  for (const char* bad : {"0s", "five years", "200y"}) {
    vars["MOT_SURVEY_RETENTION"] = bad;
    EXPECT_EQ(Refusal(vars).rfind("MOT_SURVEY_RETENTION='", 0), 0u) << bad << ": " << Refusal(vars);
  }
}

TEST(SurveyRetention, CountsFromTheFinalState) {
  const TimePoint t = FromUnixMillis(1'793'520'000'000);
  v1::SurveyInstance i;
  *i.mutable_created_at() = ToProto(t);
  *i.mutable_expires_at() = ToProto(t + 24h * 14);
  i.set_status(v1::SURVEY_STATUS_OPEN);
  EXPECT_EQ(FinalAt(i), t + 24h * 14) << "open: it ends when it expires";
  EXPECT_EQ(RetainedUntil(i, 24h), t + 24h * 15);
  i.set_status(v1::SURVEY_STATUS_EXPIRED);
  EXPECT_EQ(FinalAt(i), t + 24h * 14);
  i.set_status(v1::SURVEY_STATUS_COMPLETED);
  *i.mutable_answered_at() = ToProto(t + 24h * 2);
  EXPECT_EQ(FinalAt(i), t + 24h * 2);
  i.set_status(v1::SURVEY_STATUS_SUPPRESSED);
  EXPECT_EQ(FinalAt(i), t) << "not sent: when it was made";
  *i.mutable_withdrawn_at() = ToProto(t + 24h * 3);
  EXPECT_EQ(FinalAt(i), t + 24h * 3);
}

class SurveyRetentionSet : public OwnerSurveys {};

TEST_F(SurveyRetentionSet, OnEveryRecordAnInstanceIsMadeOrWithdrawnWith) {
  const auto open = Send("tp-1", "stage_satisfaction_prospect_1");
  const int64_t until = ToUnixMillis(FromProto(open.expires_at()) + retention_);
  EXPECT_EQ(store_.ExpiresAt(open.id()), until);
  EXPECT_EQ(store_.ExpiresAt(ResponseKey(open.id())), until);
  EXPECT_EQ(store_.ExpiresAt(LinkKey(LinkToken(open.link()))), until);
  // A repair survey withdraws it (fatigue): kept from now.
  clock_.Advance(1h);
  Send("tp-2", "repair_satisfaction");
  const auto withdrawn = Stored(open.id());
  ASSERT_EQ(withdrawn.status(), v1::SURVEY_STATUS_SUPPRESSED);
  EXPECT_EQ(FromProto(withdrawn.withdrawn_at()), clock_.Now());
  EXPECT_EQ(store_.ExpiresAt(open.id()), ToUnixMillis(clock_.Now() + retention_));
  // Not sent at all: from when it was made.
  clock_.Advance(1h);
  const auto unsent = Send("tp-3", "stage_satisfaction_prospect_2");
  ASSERT_EQ(unsent.status(), v1::SURVEY_STATUS_SUPPRESSED);
  EXPECT_EQ(store_.ExpiresAt(unsent.id()), ToUnixMillis(clock_.Now() + retention_));
}

}  // namespace
}  // namespace mot::survey
