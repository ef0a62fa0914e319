// The survey page's form: what a browser posts becomes answers, or a refusal naming the
// field (never its value).
#include "survey/domain/form.h"

#include "gtest/gtest.h"

namespace mot::survey {
namespace {

const std::vector<Question> kQuestions = {
    {"overall", QuestionKind::kCsat, "整体满意度", "", {}, true},
    {"recommend", QuestionKind::kNps, "推荐可能性", "", {}, true},
    {"on_time", QuestionKind::kServqual, "按时响应", "responsiveness", {}, true},
    {"channel", QuestionKind::kChoice, "报修渠道", "", {"App", "400热线"}, false},
    {"comment", QuestionKind::kText, "其他建议", "", {}, false},
};

using Fields = std::multimap<std::string, std::string>;

TEST(SurveyForm, ABrowsersPostBecomesAnswers) {
  auto a = AnswersFromForm(kQuestions,
                           Fields{{"overall", "2"},
                                  {"recommend", "0"},
                                  {"on_time.expectation", "7"},
                                  {"on_time.perception", "3"},
                                  {"channel", "400热线"},
                                  {"comment", "漏水"}},
                           100);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->at("overall").score, 2);
  EXPECT_EQ(a->at("recommend").score, 0);
  EXPECT_EQ(a->at("on_time").expectation, 7);
  EXPECT_EQ(a->at("on_time").perception, 3);
  EXPECT_FALSE(a->at("on_time").score.has_value());
  EXPECT_EQ(a->at("channel").text, "400热线");
  EXPECT_EQ(a->at("comment").text, "漏水");
  EXPECT_TRUE(Validate(kQuestions, *a).ok());
}

TEST(SurveyForm, BlankFieldsAreNoAnswer) {
  auto a = AnswersFromForm(
      kQuestions, Fields{{"overall", "4"}, {"comment", ""}, {"on_time.perception", "5"}}, 100);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->count("comment"), 0u);
  EXPECT_EQ(a->count("recommend"), 0u);
  EXPECT_FALSE(a->at("on_time").expectation.has_value()) << "half a pair stays half";
  EXPECT_EQ(Problem(kQuestions[1], nullptr), "an answer is required");
  EXPECT_EQ(Problem(kQuestions[2], &a->at("on_time")),
            "expected an expectation and a perception, each from 1 to 7");
}

TEST(SurveyForm, MalformedPostsAreRefusedNamingTheFieldNotTheValue) {
  const struct {
    Fields fields;
    const char* message;
  } cases[] = {
      {{{"overall", "4.5"}}, "form field 'overall': expected a whole number"},
      {{{"overall", "13800138000x"}}, "form field 'overall': expected a whole number"},
      {{{"recommend", " 9"}}, "form field 'recommend': expected a whole number"},
      {{{"recommend", "+9"}}, "form field 'recommend': expected a whole number"},
      {{{"recommend", "-"}}, "form field 'recommend': expected a whole number"},
      {{{"recommend", "99999999999"}}, "form field 'recommend': expected a whole number"},
      {{{"overall", "4"}, {"overall", "5"}}, "form field 'overall': given more than once"},
      {{{"name", "张三"}}, "a form field names no question of this survey"},
      {{{"13800138000", "1"}}, "a form field names no question of this survey"},
      {{{"overall.expectation", "4"}},
       "form field 'overall.expectation': expected the question's id"},
      {{{"on_time", "4"}},
       "form field 'on_time': expected <question>.expectation or <question>.perception"},
      {{{"on_time.score", "4"}},
       "form field 'on_time.score': expected <question>.expectation or <question>.perception"},
      {{{"comment", std::string(101, 'x')}}, "form field 'comment': longer than 100 bytes"},
      {{{"channel", std::string(101, 'x')}}, "form field 'channel': longer than 100 bytes"},
  };
  for (const auto& c : cases) {
    auto a = AnswersFromForm(kQuestions, c.fields, 100);
    ASSERT_FALSE(a.ok()) << c.message;
    EXPECT_TRUE(absl::IsInvalidArgument(a.status()));
    EXPECT_EQ(a.status().message(), c.message);
  }
  // Exactly at the limit is fine.
  EXPECT_TRUE(AnswersFromForm(kQuestions, Fields{{"comment", std::string(100, 'x')}}, 100).ok());
}

TEST(SurveyForm, OutOfRangeScoresParseAndValidationRefusesThem) {
  auto a = AnswersFromForm(kQuestions, Fields{{"overall", "6"}, {"recommend", "-1"}}, 100);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Problem(kQuestions[0], &a->at("overall")), "expected a score from 1 to 5");
  EXPECT_EQ(Problem(kQuestions[1], &a->at("recommend")), "expected a score from 0 to 10");
  auto v = Validate(kQuestions, *a);
  EXPECT_EQ(v.message(), "answers.overall: expected a score from 1 to 5");
}

}  // namespace
}  // namespace mot::survey
