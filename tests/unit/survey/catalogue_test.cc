// The survey catalogue (deploy/config/surveys.yaml): what it defines, the instances it
// creates and the errors that name the survey, question and field.
#include "survey/domain/catalogue.h"

#include <map>

#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/clock.h"
#include "survey_command.h"

namespace mot::survey {
namespace {

TEST(Survey, InstanceFromShippedCatalogue) {
  auto catalogue = SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
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

TEST(Survey, ARepairSurveyIsScoredUnderTheOwnersStageAStageSurveyUnderItsOwn) {
  auto catalogue = SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  ASSERT_TRUE(catalogue.ok()) << catalogue.status();
  const TimePoint t0 = FromUnixMillis(1'793'520'000'000);
  auto repair = Command(t0);
  repair.set_survey_id("repair_satisfaction");
  repair.set_owner_stage("STABLE");  // a repair in the owner's third year
  EXPECT_EQ(CreateInstance(*catalogue, repair, t0)->stage(), "STABLE");
  repair.set_owner_stage("");  // the scheduler knew no stage: the catalogue's
  EXPECT_EQ(CreateInstance(*catalogue, repair, t0)->stage(), "RUNIN_2");
  repair.set_owner_stage("SOMEDAY");  // not a stage: the catalogue's
  EXPECT_EQ(CreateInstance(*catalogue, repair, t0)->stage(), "RUNIN_2");
  auto stage = Command(t0);  // 准1's own survey, whatever the command says
  stage.set_owner_stage("PROSPECT_2");
  EXPECT_EQ(CreateInstance(*catalogue, stage, t0)->stage(), "PROSPECT_1");
}

TEST(Survey, QuestionsAreShownWithTheirIdsKindsAndScales) {
  auto catalogue = SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  ASSERT_TRUE(catalogue.ok()) << catalogue.status();
  const SurveyDefinition* repair = catalogue->Find("repair_satisfaction");
  ASSERT_NE(repair, nullptr);
  std::map<std::string, v1::SurveyQuestion> by_id;
  for (const auto& q : repair->questions) by_id[q.id] = QuestionToProto(q);
  EXPECT_EQ(by_id["on_time"].kind(), "servqual");
  EXPECT_EQ(by_id["on_time"].dimension(), "responsiveness");
  EXPECT_EQ(by_id["overall"].kind(), "csat");
  EXPECT_EQ(by_id["recommend"].kind(), "nps");
  EXPECT_EQ(by_id["channel"].kind(), "choice");
  ASSERT_EQ(by_id["channel"].options_size(), 3);
  EXPECT_EQ(by_id["channel"].options(1), "400热线");
  EXPECT_FALSE(by_id["channel"].required());
  EXPECT_EQ(by_id["comment"].kind(), "text");
  EXPECT_TRUE(by_id["overall"].required());
}

TEST(Survey, CatalogueErrorsNameTheSurvey) {
  auto s = SurveyCatalogue::FromYaml(
      "surveys: {s1: {stage: X, family: stage, title: T, questions: [{id: q, kind: nps, text: "
      "t}]}}");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "survey 's1': 'valid_for' is required");
}

TEST(Survey, TheShippedCatalogue) {
  auto c = SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  std::set<std::string> stages;
  for (const auto& [id, d] : c->surveys()) {
    if (d.family == "stage") stages.insert(d.stage);
    EXPECT_TRUE(std::any_of(d.questions.begin(), d.questions.end(),
                            [](const Question& q) { return q.kind == QuestionKind::kNps; }))
        << id << " asks no NPS question";
  }
  EXPECT_EQ(stages, (std::set<std::string>{"PROSPECT_1", "PROSPECT_2", "RUNIN_1", "RUNIN_2",
                                           "STABLE", "VETERAN"}));
  ASSERT_NE(c->Find("delivery_satisfaction"), nullptr);
  ASSERT_NE(c->Find("repair_satisfaction"), nullptr);
  std::set<std::string> dimensions;
  for (const auto& q : c->Find("delivery_satisfaction")->questions) {
    if (q.kind == QuestionKind::kServqual) dimensions.insert(q.dimension);
  }
  EXPECT_EQ(dimensions.size(), 5u) << "the delivery survey covers all five SERVQUAL dimensions";
  // DOMAIN.md's numbers: one survey per 30 days, repair > delivery > stage; KPI 40/20/20/20.
  EXPECT_EQ(c->fatigue().window, std::chrono::hours(24 * 30));
  EXPECT_EQ(c->fatigue().priority, (std::vector<std::string>{"repair", "delivery", "stage"}));
  EXPECT_EQ(c->detractor().nps_at_most, 6);
  EXPECT_EQ(c->detractor().csat_at_most, 2);
  EXPECT_DOUBLE_EQ(c->kpi_weights().satisfaction, 40);
  EXPECT_DOUBLE_EQ(c->kpi_weights().repurchase, 20);
  EXPECT_DOUBLE_EQ(c->kpi_weights().complaint_resolution, 20);
  EXPECT_DOUBLE_EQ(c->kpi_weights().community_activity, 20);
}

TEST(Survey, CatalogueErrorsNameTheQuestionAndTheField) {
  const std::string good = testkit::ShippedConfig("surveys.yaml");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    auto r = SurveyCatalogue::FromYaml(text);
    return r.ok() ? std::string("accepted") : std::string(r.status().message());
  };
  EXPECT_EQ(with("{id: consultant, kind: csat,", "{id: consultant, kind: stars,"),
            "survey 'stage_satisfaction_prospect_1': questions[0].kind: expected one of nps, csat, "
            "servqual, "
            "choice, text");
  EXPECT_EQ(
      with("dimension: assurance,", "dimension: vibes,"),
      "survey 'stage_satisfaction_prospect_1': questions[2].dimension: expected one of tangibles, "
      "reliability, responsiveness, assurance, empathy");
  EXPECT_EQ(with("options: [App, 400热线, 物业前台]", "options: [App]"),
            "survey 'repair_satisfaction': questions[3].options: expected a list of at least two "
            "options");
  EXPECT_EQ(with("{id: signing, kind: csat,", "{id: consultant, kind: csat,"),
            "survey 'stage_satisfaction_prospect_1': question id 'consultant' twice");
  EXPECT_EQ(with("  satisfaction: 40", "  satisfaction: 50"),
            "kpi_weights: the weights must add up to 100");
  EXPECT_EQ(with("window: 30d", "window: soon"), "fatigue.window: expected a duration such as 30d");
  EXPECT_EQ(with("{id: signing, kind: csat, text:", "{id: signing, kind: csat, weight: 2, text:"),
            "survey 'stage_satisfaction_prospect_1': questions[1]: unknown field 'weight'");
  EXPECT_EQ(with("fatigue:", "fatigues:"), "unknown setting 'fatigues'");
}

// detractor.nps_at_most of 1e99 was cast to int: undefined (found by fuzz_surveys).
TEST(FuzzFixes, DetractorThresholdsStayOnTheirScales) {
  const std::string yaml = testkit::ShippedConfig("surveys.yaml");
  for (const auto& [line, error] : std::vector<std::pair<std::string, std::string>>{
           {"  nps_at_most: 1e99", "detractor.nps_at_most: expected 0 to 10"},
           {"  csat_at_most: .nan", "detractor.csat_at_most: expected 1 to 5"},
           {"  gap_below: .inf", "detractor.gap_below: expected a finite number"}}) {
    std::string changed = yaml;
    const std::string key = line.substr(0, line.find(':') + 1);
    const auto at = changed.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    changed.replace(at, changed.find('\n', at) - at, line);
    auto c = SurveyCatalogue::FromYaml(changed);
    ASSERT_FALSE(c.ok()) << line;
    EXPECT_NE(std::string(c.status().message()).find(error), std::string::npos) << c.status();
  }
}

}  // namespace
}  // namespace mot::survey
