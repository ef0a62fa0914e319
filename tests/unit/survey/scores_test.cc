// Scores against hand-worked examples: CSAT, NPS, SERVQUAL gaps with missing answers,
// detractors, fatigue, the team KPI's weights.
#include "survey/domain/scores.h"

#include "gtest/gtest.h"

namespace mot::survey {
namespace {

using std::chrono::hours;

Answer Score(int v) { return Answer{v, std::nullopt, std::nullopt, ""}; }
Answer Pair(std::optional<int> e, std::optional<int> p) { return Answer{std::nullopt, e, p, ""}; }

const std::vector<Question> kQuestions = {
    {"q1", QuestionKind::kCsat, "您对维修响应是否满意？", "", {}, true},
    {"q2", QuestionKind::kCsat, "您对维修质量是否满意？", "", {}, false},
    {"q3", QuestionKind::kNps, "您有多大可能向亲友推荐我们？", "", {}, true},
    {"s1", QuestionKind::kServqual, "维修按约定时间完成", "reliability", {}, false},
    {"s2", QuestionKind::kServqual, "一次修好", "reliability", {}, false},
    {"s3", QuestionKind::kServqual, "工作人员理解您的需要", "empathy", {}, false},
    {"c1", QuestionKind::kChoice, "您通过什么渠道报修？", "", {"App", "400热线", "前台"}, false},
    {"t1", QuestionKind::kText, "其他建议", "", {}, false},
};

// Three responses, worked by hand below.
const std::map<std::string, Answer> kR1 = {{"q1", Score(5)},   {"q2", Score(4)},
                                           {"q3", Score(10)},  {"s1", Pair(7, 5)},
                                           {"s2", Pair(6, 6)}, {"s3", Pair(5, 6)}};
const std::map<std::string, Answer> kR2 = {
    {"q1", Score(2)}, {"q2", Score(3)}, {"q3", Score(6)}, {"s1", Pair(7, 3)}, {"s3", Pair(4, 4)}};
const std::map<std::string, Answer> kR3 = {
    {"q1", Score(4)}, {"q3", Score(9)}, {"s1", Pair(6, std::nullopt)}, {"s3", Pair(6, 5)}};

TEST(Scores, HandWorkedCsatNpsAndServqualWithMissingAnswers) {
  Tally t;
  for (const auto* r : {&kR1, &kR2, &kR3}) t.Add(kQuestions, *r);
  const Scores s = ScoresOf(t);
  EXPECT_EQ(s.responses, 3);
  // CSAT answers 5, 4, 2, 3, 4 (R3 left q2 out): mean 18 / 5; satisfied (4-5): 3 of 5.
  ASSERT_TRUE(s.csat_mean && s.csat_satisfied);
  EXPECT_DOUBLE_EQ(*s.csat_mean, 3.6);
  EXPECT_DOUBLE_EQ(*s.csat_satisfied, 60.0);
  // NPS answers 10, 6, 9: two promoters, one detractor of three.
  ASSERT_TRUE(s.nps);
  EXPECT_DOUBLE_EQ(*s.nps, 100.0 / 3);
  // Reliability pairs (7,5) (6,6) (7,3); R3's s1 has no perception: left out.
  // (5 + 6 + 3 - 7 - 6 - 7) / 3 = -2. Empathy (5,6) (4,4) (6,5): 0.
  ASSERT_EQ(s.gap.size(), 2u) << "dimensions nobody answered have no gap";
  EXPECT_DOUBLE_EQ(s.gap.at("reliability"), -2.0);
  EXPECT_DOUBLE_EQ(s.gap.at("empathy"), 0.0);
  ASSERT_TRUE(s.overall_gap);
  EXPECT_DOUBLE_EQ(*s.overall_gap, -1.0);
}

TEST(Scores, NothingToSayIsAbsentNotZero) {
  const Scores s = ScoresOf(Tally{});
  EXPECT_EQ(s.responses, 0);
  EXPECT_FALSE(s.csat_mean);
  EXPECT_FALSE(s.nps);
  EXPECT_FALSE(s.overall_gap);
  EXPECT_TRUE(s.gap.empty());
}

TEST(Scores, TalliesMergeToTheTallyOfEverything) {
  Tally all, first, last;
  for (const auto* r : {&kR1, &kR2, &kR3}) all.Add(kQuestions, *r);
  first.Add(kQuestions, kR1);
  first.Add(kQuestions, kR2);
  last.Add(kQuestions, kR3);
  first.Merge(last);
  const Scores a = ScoresOf(all), m = ScoresOf(first);
  EXPECT_EQ(m.responses, a.responses);
  EXPECT_DOUBLE_EQ(*m.csat_mean, *a.csat_mean);
  EXPECT_DOUBLE_EQ(*m.nps, *a.nps);
  EXPECT_EQ(m.gap, a.gap);
}

TEST(Scores, ATallyRoundTripsThroughHashFields) {
  Tally t;
  for (const auto* r : {&kR1, &kR2, &kR3}) t.Add(kQuestions, *r);
  std::map<std::string, int64_t> fields;
  for (const auto& [k, v] : FieldsOf(t)) fields[k] += v;
  EXPECT_EQ(fields.at("sq:reliability:e"), 20);
  EXPECT_EQ(fields.at("sq:reliability:p"), 14);
  const Scores back = ScoresOf(TallyOf(fields)), s = ScoresOf(t);
  EXPECT_EQ(back.responses, 3);
  EXPECT_DOUBLE_EQ(*back.csat_mean, *s.csat_mean);
  EXPECT_DOUBLE_EQ(*back.nps, *s.nps);
  EXPECT_EQ(back.gap, s.gap);
}

TEST(Scores, NpsIsPromotersMinusDetractorsAndPassivesCountOnlyInTheWhole) {
  const std::vector<Question> one = {{"n", QuestionKind::kNps, "推荐？", "", {}, true}};
  Tally t;
  for (int v : {10, 9, 8, 7, 0})
    t.Add(one, {{"n", Score(v)}});  // 2 promoters, 2 passives, 1 detractor
  EXPECT_DOUBLE_EQ(*ScoresOf(t).nps, 20.0);
}

TEST(Detractor, ByNpsCsatOrAServqualGap) {
  const DetractorRule rule;  // nps <= 6, csat <= 2, a gap below -2
  EXPECT_TRUE(DetractorReasons(rule, kQuestions, kR1).empty()) << "reliability -1 is not below -2";
  // R2: q1 = 2, q3 = 6, reliability (7,3) alone: -4.
  EXPECT_EQ(DetractorReasons(rule, kQuestions, kR2),
            (std::vector<std::string>{"csat:q1", "nps:q3", "gap:reliability"}));
  EXPECT_TRUE(DetractorReasons(rule, kQuestions, kR3).empty());
  DetractorRule strict;
  strict.nps_at_most = 9;
  EXPECT_EQ(DetractorReasons(strict, kQuestions, kR3), (std::vector<std::string>{"nps:q3"}));
}

TEST(Validate, NamesTheQuestionAndTheRuleNeverTheValue) {
  EXPECT_TRUE(Validate(kQuestions, kR1).ok());
  auto message = [&](std::map<std::string, Answer> answers) {
    return std::string(Validate(kQuestions, answers).message());
  };
  auto with = [&](const std::string& id, Answer a) {
    auto r = kR1;
    r[id] = a;
    return message(r);
  };
  EXPECT_EQ(with("q1", Score(6)), "answers.q1: expected a score from 1 to 5");
  EXPECT_EQ(with("q1", Score(0)), "answers.q1: expected a score from 1 to 5");
  EXPECT_EQ(with("q3", Score(11)), "answers.q3: expected a score from 0 to 10");
  EXPECT_TRUE(Validate(kQuestions,
                       [&] {
                         auto r = kR1;
                         r["q3"] = Score(0);
                         return r;
                       }())
                  .ok());
  EXPECT_EQ(with("s1", Pair(8, 5)),
            "answers.s1: expected an expectation and a perception, each from 1 to 7");
  EXPECT_EQ(with("s1", Pair(7, std::nullopt)),
            "answers.s1: expected an expectation and a perception, each from 1 to 7");
  EXPECT_EQ(with("c1", Answer{std::nullopt, std::nullopt, std::nullopt, "微信"}),
            "answers.c1: expected one of the question's options");
  EXPECT_TRUE(Validate(kQuestions,
                       [&] {
                         auto r = kR1;
                         r["c1"] = Answer{std::nullopt, std::nullopt, std::nullopt, "400热线"};
                         return r;
                       }())
                  .ok());
  auto missing = kR1;
  missing.erase("q1");
  EXPECT_EQ(message(missing), "answers.q1: an answer is required");
  missing = kR1;
  missing.erase("q2");
  EXPECT_TRUE(Validate(kQuestions, missing).ok()) << "q2 is optional";
  EXPECT_EQ(with("zz", Score(3)), "answers: a key is not a question of the survey");
  EXPECT_EQ(with("q1", Answer{}), "answers.q1: expected a score from 1 to 5") << "no score given";
}

TEST(Fatigue, OnePerWindowAndTheHigherPriorityWins) {
  const FatigueRules rules;  // 30 days; repair > delivery > stage
  const TimePoint day0 = FromUnixMillis(1'800'000'000'000);
  const auto day = [&](int n) { return day0 + hours(24 * n); };
  // A repair survey while a stage survey is open: the stage one is withdrawn.
  auto v = Fatigue(rules, {{"sv-stage", "stage", day0, true}}, "repair", day(10));
  EXPECT_TRUE(v.issue);
  EXPECT_EQ(v.withdraw, std::vector<std::string>{"sv-stage"});
  // The other way round: the stage survey is suppressed, with the reason.
  v = Fatigue(rules, {{"sv-repair", "repair", day0, true}}, "stage", day(10));
  EXPECT_FALSE(v.issue);
  EXPECT_TRUE(v.withdraw.empty());
  EXPECT_EQ(v.reason, "fatigue: repair survey sv-repair was sent within the window");
  // An answered survey cannot be withdrawn: even a repair survey waits.
  v = Fatigue(rules, {{"sv-stage", "stage", day0, false}}, "repair", day(10));
  EXPECT_FALSE(v.issue);
  // The same family within the window: suppressed; once the window has passed: sent.
  EXPECT_FALSE(Fatigue(rules, {{"sv-1", "stage", day0, true}}, "stage", day(29)).issue);
  EXPECT_TRUE(Fatigue(rules, {{"sv-1", "stage", day0, true}}, "stage", day(30)).issue);
  // Both an open lower one and an answered one: the answered one holds the window.
  v = Fatigue(rules, {{"sv-stage", "stage", day(1), true}, {"sv-del", "delivery", day(2), false}},
              "repair", day(5));
  EXPECT_FALSE(v.issue);
  EXPECT_TRUE(v.withdraw.empty());
  EXPECT_EQ(rules.Rank("repair"), 0u);
  EXPECT_EQ(rules.Rank("referral"), 3u) << "an unlisted family ranks after all";
}

TEST(Kpi, WeightsFromTheDomainOverWhatIsKnown) {
  const KpiWeights w;  // 40 / 20 / 20 / 20
  // 0.4 * 80 + 0.2 * 10 + 0.2 * 90 + 0.2 * 50 = 32 + 2 + 18 + 10 = 62.
  EXPECT_DOUBLE_EQ(*Kpi(w, {80, 10, 90, 50}), 62.0);
  // Without community activity: (32 + 2 + 18) / 0.8 = 65.
  EXPECT_DOUBLE_EQ(*Kpi(w, {80, 10, 90, std::nullopt}), 65.0);
  EXPECT_FALSE(Kpi(w, {}));
  KpiWeights only_satisfaction{100, 0, 0, 0};
  EXPECT_DOUBLE_EQ(*Kpi(only_satisfaction, {70, 10, 10, 10}), 70.0);
}

}  // namespace
}  // namespace mot::survey
