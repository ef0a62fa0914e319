#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mot/common/clock.h"
#include "mot/survey/v1/survey.pb.h"
#include "survey/domain/scores.h"

namespace mot::survey {

// A request's answers (protobuf) as the scores read them, and back.
std::map<std::string, Answer> AnswersOf(const google::protobuf::Map<std::string, v1::Answer>& in);
google::protobuf::Map<std::string, v1::Answer> AnswersToProto(
    const std::map<std::string, Answer>& in);

// A survey as the catalogue (deploy/config/surveys.yaml) defines it.
struct SurveyDefinition {
  std::string id;
  std::string stage;   // lifecycle stage code it measures, e.g. PROSPECT_1
  std::string family;  // stage, delivery or repair: fatigue's priority
  std::string title;
  std::vector<Question> questions;
  std::chrono::milliseconds valid_for;  // how long the owner may answer
};

class SurveyCatalogue {
 public:
  // InvalidArgument naming the survey and field that are wrong.
  static absl::StatusOr<SurveyCatalogue> FromYaml(const std::string& yaml);
  const SurveyDefinition* Find(const std::string& id) const;
  std::string IdList() const;
  const std::map<std::string, SurveyDefinition>& surveys() const { return surveys_; }
  const FatigueRules& fatigue() const { return fatigue_; }
  const DetractorRule& detractor() const { return detractor_; }
  const KpiWeights& kpi_weights() const { return kpi_; }
  // The ticket kinds whose resolution rate is the KPI's complaint resolution.
  const std::set<std::string>& complaint_kinds() const { return complaint_kinds_; }
  // Months of the scores are this zone's (time_zone, default Asia/Shanghai).
  const absl::TimeZone& zone() const { return zone_; }
  // The stage codes the surveys measure.
  std::set<std::string> Stages() const;

 private:
  std::map<std::string, SurveyDefinition> surveys_;
  FatigueRules fatigue_;
  DetractorRule detractor_;
  KpiWeights kpi_;
  std::set<std::string> complaint_kinds_ = {"complaint_general", "complaint_major"};
  absl::TimeZone zone_;
};

// "YYYY-MM" of `t` in `zone`: the month a response counts in.
std::string MonthOf(TimePoint t, const absl::TimeZone& zone);

// A question as the API shows it (GetSurveyInstance).
v1::SurveyQuestion QuestionToProto(const Question& question);

// The instance a CreateSurveyCommand creates at `now`: open for the survey's
// valid_for from then (a survey dispatched late, e.g. for an event published
// long after it happened, still gives the owner the full time to answer); scored
// under the survey's stage, or, for a repair or delivery survey, the owner's stage the
// command names (owner_stage).
// InvalidArgument names the bad field.
absl::StatusOr<v1::SurveyInstance> CreateInstance(const SurveyCatalogue& catalogue,
                                                  const v1::CreateSurveyCommand& cmd,
                                                  TimePoint now);

}  // namespace mot::survey
