// Survey answers as survey's SubmitResponse takes them (hotline agents through gRPC,
// motctl): a SubmitResponseRequest's answers checked against a survey of the shipped
// catalogue with Validate, then counted (Tally, scores, detractor reasons).
//
// Input: a SubmitResponseRequest, protobuf or protobuf JSON (DecodeMessage tells
// them apart). Its instance_id picks the survey: a survey id of the shipped catalogue
// (deploy/config/surveys.yaml), else one by the id's hash.
//
// Invariants (abort on violation):
//  - a refusal quotes no answer's text (an owner may write their phone number);
//  - answers Validate accepts are within their questions' bounds (Problem finds
//    nothing), and their scores are in range (CSAT 1-5, NPS -100..100, gaps -6..6);
//  - a tally survives the store's hash fields: TallyOf(FieldsOf(t)) == t.
#include <functional>
#include <vector>

#include "fuzz_common.h"
#include "fuzz_survey.h"
#include "mot/common/codec.h"
#include "mot/survey/v1/survey.pb.h"
#include "survey/domain/catalogue.h"
#include "survey/domain/scores.h"

namespace {

using namespace mot;
using namespace mot::survey;

const SurveyDefinition& Pick(const std::string& instance_id) {
  if (const SurveyDefinition* d = motfuzz::ShippedSurveys().Find(instance_id)) return *d;
  auto it = motfuzz::ShippedSurveys().surveys().begin();
  std::advance(it,
               std::hash<std::string>()(instance_id) % motfuzz::ShippedSurveys().surveys().size());
  return it->second;
}

bool Same(const Tally& a, const Tally& b) {
  if (a.responses != b.responses || a.csat_answers != b.csat_answers || a.csat_sum != b.csat_sum ||
      a.csat_satisfied != b.csat_satisfied || a.nps_answers != b.nps_answers ||
      a.promoters != b.promoters || a.detractors != b.detractors ||
      a.servqual.size() != b.servqual.size()) {
    return false;
  }
  for (const auto& [d, p] : a.servqual) {
    auto it = b.servqual.find(d);
    if (it == b.servqual.end() || it->second.n != p.n ||
        it->second.expectation_sum != p.expectation_sum ||
        it->second.perception_sum != p.perception_sum) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  motfuzz::ShippedSurveys();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Incoming in;
  in.payload = motfuzz::Str(data, size);
  v1::SubmitResponseRequest request;
  if (!DecodeMessage(in, &request).ok()) return 0;  // the decoding is fuzz_json's
  const SurveyDefinition& def = Pick(request.instance_id());
  const auto answers = AnswersOf(request.answers());

  const absl::Status valid = Validate(def.questions, answers);
  if (!valid.ok()) {
    // The rule and the question are named, never what the owner wrote. (An unknown
    // question's id is quoted: it is the sender's key, not an answer.)
    std::vector<std::string> keys;
    for (const auto& [id, _] : answers) keys.push_back(id);
    const std::string msg = motfuzz::Blanked(std::string(valid.message()), keys);
    for (const auto& [id, a] : answers) motfuzz::CheckNotQuoted(msg, a.text);
    return 0;
  }
  for (const Question& q : def.questions) {
    auto it = answers.find(q.id);
    const std::string problem = Problem(q, it == answers.end() ? nullptr : &it->second);
    motfuzz::Check(problem.empty(),
                   "Validate accepted an answer to '" + q.id + "' that " + problem);
  }
  Tally tally;
  tally.Add(def.questions, answers);
  const Scores scores = ScoresOf(tally);
  motfuzz::Check(
      motfuzz::InRange(scores.csat_mean, 1, 5) && motfuzz::InRange(scores.csat_satisfied, 0, 100) &&
          motfuzz::InRange(scores.nps, -100, 100) && motfuzz::InRange(scores.overall_gap, -6, 6),
      "the scores of answers Validate accepted are out of range");
  for (const auto& [d, gap] : scores.gap)
    motfuzz::Check(gap >= -6 && gap <= 6, "a gap out of -6..6");
  (void)DetractorReasons(motfuzz::ShippedSurveys().detractor(), def.questions, answers);

  Tally twice = tally;
  twice.Merge(tally);
  std::map<std::string, int64_t> fields;
  for (const auto& [k, v] : FieldsOf(twice)) fields[k] = v;
  motfuzz::Check(Same(TallyOf(fields), twice), "a tally does not survive its hash fields");
  return 0;
}
