// The survey catalogue (deploy/config/surveys.yaml, MOT_SURVEYS):
// SurveyCatalogue::FromYaml, then what survey computes from a catalogue that loads.
//
// Input: a catalogue as YAML.
//
// Invariants (abort on violation), for a catalogue that loads:
//  - each survey has questions with distinct ids; a SERVQUAL question names one of
//    the five dimensions, a choice question has at least two options;
//  - each survey can be answered: the best answers to every question pass Validate
//    (and the form built from them passes AnswersFromForm), and their scores are in
//    range;
//  - an instance of each survey opens, expiring no earlier than it was created, and
//    reads back from its protobuf bytes;
//  - the KPI's weights give a score from 0 to 100.
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "fuzz_common.h"
#include "google/protobuf/util/time_util.h"
#include "survey/domain/catalogue.h"
#include "survey/domain/form.h"
#include "yaml-cpp/yaml.h"

namespace {

using namespace mot;
using namespace mot::survey;

bool InRange(const std::optional<double>& v, double low, double high) {
  return !v || (*v >= low - 1e-9 && *v <= high + 1e-9);
}

// Whether detractor.nps_at_most or csat_at_most is a number no int holds (the
// catalogue casts them unchecked).
bool DetractorBeyondInt(const std::string& yaml) {
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (!root.IsMap() || !root["detractor"] || !root["detractor"].IsMap()) return false;
    for (const char* key : {"nps_at_most", "csat_at_most"}) {
      double v = 0;
      const YAML::Node n = root["detractor"][key];
      if (n && YAML::convert<double>::decode(n, v) &&
          !(v > std::numeric_limits<int>::min() - 1.0 &&
            v < std::numeric_limits<int>::max() + 1.0)) {
        return true;
      }
    }
  } catch (const YAML::Exception&) {
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml = motfuzz::Str(data, size);
  if (DetractorBeyondInt(yaml) && motfuzz::Tolerated("survey-detractor-beyond-int")) return 0;
  auto catalogue = SurveyCatalogue::FromYaml(yaml);
  if (!catalogue.ok()) return 0;
  if (!motfuzz::IsUtf8(yaml) && motfuzz::Tolerated("config-not-utf8")) return 0;

  const TimePoint now = FromUnixMillis(1'780'000'000'000);  // 2026-05-28
  for (const auto& [id, def] : catalogue->surveys()) {
    motfuzz::Check(catalogue->Find(id) == &def, "survey '" + id + "' is not found by its id");
    motfuzz::Check(!def.questions.empty(), "survey '" + id + "' has no question");
    std::set<std::string> ids;
    std::map<std::string, Answer> best;
    std::multimap<std::string, std::string> form;
    for (const Question& q : def.questions) {
      motfuzz::Check(ids.insert(q.id).second, "survey '" + id + "': question '" + q.id + "' twice");
      Answer a;
      switch (q.kind) {
        case QuestionKind::kNps:
          a.score = 10;
          form.emplace(q.id, "10");
          break;
        case QuestionKind::kCsat:
          a.score = 5;
          form.emplace(q.id, "5");
          break;
        case QuestionKind::kServqual:
          motfuzz::Check(std::count(kDimensions.begin(), kDimensions.end(), q.dimension) == 1,
                         "survey '" + id + "': a SERVQUAL question without a dimension");
          a.expectation = 7;
          a.perception = 7;
          form.emplace(q.id + ".expectation", "7");
          form.emplace(q.id + ".perception", "7");
          break;
        case QuestionKind::kChoice:
          motfuzz::Check(q.options.size() >= 2,
                         "survey '" + id + "': a choice of fewer than two options");
          a.text = q.options[0];
          form.emplace(q.id, q.options[0]);
          break;
        case QuestionKind::kText:
          a.text = "fine";
          form.emplace(q.id, "fine");
          break;
      }
      best[q.id] = a;
    }
    const absl::Status valid = Validate(def.questions, best);
    motfuzz::Check(valid.ok(),
                   "survey '" + id + "' cannot be answered: " + std::string(valid.message()));
    // The same through the survey page, where a blank field is no answer (an empty
    // option cannot be posted) and a question id holding a '.' cannot be named.
    const bool postable =
        std::none_of(def.questions.begin(), def.questions.end(), [](const Question& q) {
          return q.id.find('.') != std::string::npos ||
                 (q.kind == QuestionKind::kChoice && q.options[0].empty()) ||
                 (q.kind == QuestionKind::kChoice && q.options[0].size() > 2000);
        });
    if (postable) {
      auto posted = AnswersFromForm(def.questions, form, 2000);
      motfuzz::Check(posted.ok(), "survey '" + id + "': the best answers' form is refused: " +
                                      std::string(posted.status().message()));
      const absl::Status again = Validate(def.questions, *posted);
      motfuzz::Check(again.ok(), "survey '" + id + "': the best answers' form does not validate: " +
                                     std::string(again.message()));
    }
    Tally tally;
    tally.Add(def.questions, best);
    const Scores scores = ScoresOf(tally);
    motfuzz::Check(InRange(scores.csat_mean, 1, 5) && InRange(scores.csat_satisfied, 0, 100) &&
                       InRange(scores.nps, -100, 100) && InRange(scores.overall_gap, -6, 6),
                   "survey '" + id + "': scores out of range");
    (void)DetractorReasons(catalogue->detractor(), def.questions, best);

    v1::CreateSurveyCommand cmd;
    cmd.set_command_id("cmd-fuzz-1");
    cmd.set_customer_id("C-FUZZ-1");
    cmd.set_survey_id(id);
    cmd.set_project_id("P-FUZZ");
    *cmd.mutable_requested_at() = ToProto(now);
    auto instance = CreateInstance(*catalogue, cmd, now);
    motfuzz::Check(instance.ok(), "survey '" + id + "': no instance opens: " +
                                      std::string(instance.status().message()));
    v1::SurveyInstance stored;  // survey keeps instances as protobuf
    motfuzz::Check(stored.ParseFromString(instance->SerializeAsString()),
                   "survey '" + id + "': an instance cannot be read back from its protobuf bytes");
    motfuzz::Check(FromProto(instance->expires_at()) >= FromProto(instance->created_at()),
                   "survey '" + id + "': an instance expires before it was created");
    motfuzz::Check(
        instance->expires_at().seconds() <= google::protobuf::util::TimeUtil::kTimestampMaxSeconds,
        "survey '" + id + "': an instance expires at a time protobuf cannot hold");
  }
  (void)MonthOf(now, catalogue->zone());
  const auto kpi = Kpi(catalogue->kpi_weights(), {80, 10, 90, 50});
  motfuzz::Check(!kpi || (*kpi >= -1e-9 && *kpi <= 100 + 1e-9), "the KPI is out of 0-100");
  const auto& f = catalogue->fatigue();
  (void)Fatigue(f, {{"i1", "stage", now - std::chrono::hours(24), true}}, "repair", now);
  return 0;
}
