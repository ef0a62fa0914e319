// The survey page's form (survey/app/survey_page.cc): an application/x-www-form-urlencoded
// body, decoded as the HTTP library decodes a POST (httplib::detail::parse_query_text
// into the request's params), then AnswersFromForm against each survey of the shipped
// catalogue (deploy/config/surveys.yaml) and Validate, as SurveyWeb::Take does.
//
// Input: a form body, e.g. "q1=9&q2=4&q3.expectation=6&q3.perception=5".
//
// Invariants (abort on violation):
//  - a refusal quotes no field's value (an owner may type their phone number; the
//    refusal is logged) — it names the field;
//  - what AnswersFromForm returns holds only the survey's questions, a blank field
//    is no answer, texts are at most max_text bytes and a score is the number posted;
//  - answers that Validate then accepts are within their questions' bounds, and their
//    scores are in range.
#include <httplib.h>

#include <cstdlib>
#include <map>
#include <string>

#include "fuzz_common.h"
#include "fuzz_survey.h"
#include "survey/domain/catalogue.h"
#include "survey/domain/form.h"

namespace {

using namespace mot;
using namespace mot::survey;

// survey's default MOT_SURVEY_MAX_TEXT is larger; a small one reaches the limit.
constexpr size_t kMaxText = 64;

void CheckSurvey(const SurveyDefinition& def,
                 const std::multimap<std::string, std::string>& fields) {
  auto answers = AnswersFromForm(def.questions, fields, kMaxText);
  if (!answers.ok()) {
    // The field's name may be quoted (it is the page's, not the owner's): blanked.
    std::vector<std::string> names;
    for (const auto& [name, _] : fields) names.push_back(name);
    const std::string msg = motfuzz::Blanked(std::string(answers.status().message()), names);
    for (const auto& [name, value] : fields) motfuzz::CheckNotQuoted(msg, value);
    return;
  }
  for (const auto& [id, a] : *answers) {
    const Question* q = nullptr;
    for (const auto& candidate : def.questions) {
      if (candidate.id == id) q = &candidate;
    }
    motfuzz::Check(q != nullptr, "an answer to '" + id + "', no question of the survey");
    motfuzz::Check(a.text.size() <= kMaxText, "an answer longer than max_text");
    if (q->kind == QuestionKind::kChoice || q->kind == QuestionKind::kText) {
      auto it = fields.find(id);
      motfuzz::Check(it != fields.end() && it->second == a.text && !a.text.empty(),
                     "the answer to '" + id + "' is not the text posted");
    } else if (a.score) {
      auto it = fields.find(id);
      motfuzz::Check(
          it != fields.end() && std::strtoll(it->second.c_str(), nullptr, 10) == *a.score,
          "the score of '" + id + "' is not the number posted");
    }
  }
  if (!Validate(def.questions, *answers).ok()) return;
  for (const Question& q : def.questions) {
    auto it = answers->find(q.id);
    const std::string problem = Problem(q, it == answers->end() ? nullptr : &it->second);
    motfuzz::Check(problem.empty(),
                   "a form Validate accepted answers '" + q.id + "' with: " + problem);
  }
  Tally tally;
  tally.Add(def.questions, *answers);
  const Scores s = ScoresOf(tally);
  motfuzz::Check(motfuzz::InRange(s.csat_mean, 1, 5) && motfuzz::InRange(s.nps, -100, 100) &&
                     motfuzz::InRange(s.overall_gap, -6, 6),
                 "the scores of a form Validate accepted are out of range");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  motfuzz::ShippedSurveys();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  httplib::Params fields;  // std::multimap<std::string, std::string>
  httplib::detail::parse_query_text(motfuzz::Str(data, size), fields);
  for (const auto& [id, def] : motfuzz::ShippedSurveys().surveys()) CheckSurvey(def, fields);
  return 0;
}
