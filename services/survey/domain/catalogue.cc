#include "domain/catalogue.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "mot/common/clock.h"
#include "mot/common/ids.h"
#include "mot/common/validate.h"
#include "mot/common/config.h"
#include "mot/common/yaml.h"

namespace mot::survey {

absl::StatusOr<SurveyCatalogue> SurveyCatalogue::FromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<SurveyCatalogue> {
    SurveyCatalogue catalogue;
    auto surveys = YamlSection(yaml, "surveys", "a map of each survey id to its definition");
    if (!surveys.ok()) return surveys.status();
    for (const auto& entry : *surveys) {
      SurveyDefinition d;
      d.id = entry.first.as<std::string>();
      const YAML::Node& n = entry.second;
      if (auto s = RequireKeys(n, absl::StrCat("survey '", d.id, "'"),
                               {"stage", "title", "valid_for", "questions"});
          !s.ok()) {
        return s;
      }
      d.stage = n["stage"].as<std::string>();
      d.title = n["title"].as<std::string>();
      auto valid = ParseDuration(n["valid_for"].as<std::string>());
      if (!valid.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("survey '", d.id, "': valid_for: ", valid.status().message()));
      }
      d.valid_for = *valid;
      for (const auto& q : n["questions"]) d.questions.push_back(q.as<std::string>());
      if (d.questions.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("survey '", d.id, "': no questions"));
      }
      catalogue.surveys_[d.id] = std::move(d);
    }
    return catalogue;
  });
}

const SurveyDefinition* SurveyCatalogue::Find(const std::string& id) const {
  auto it = surveys_.find(id);
  return it == surveys_.end() ? nullptr : &it->second;
}

std::string SurveyCatalogue::IdList() const {
  std::string out;
  for (const auto& [id, _] : surveys_) absl::StrAppend(&out, out.empty() ? "" : ", ", id);
  return out;
}

absl::StatusOr<v1::SurveyInstance> CreateInstance(const SurveyCatalogue& catalogue,
                                                  const v1::CreateSurveyCommand& cmd,
                                                  TimePoint now) {
  if (auto s = RequireFields({{"command_id", &cmd.command_id()},
                               {"customer_id", &cmd.customer_id()},
                               {"survey_id", &cmd.survey_id()}});
      !s.ok()) {
    return s;
  }
  if (!cmd.has_requested_at()) return absl::InvalidArgumentError("requested_at is required");
  const SurveyDefinition* def = catalogue.Find(cmd.survey_id());
  if (def == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("survey_id '", cmd.survey_id(),
                                                   "' is unknown; known: ", catalogue.IdList()));
  }
  v1::SurveyInstance s;
  s.set_id(DeterministicId("sv", {cmd.command_id()}));
  s.set_survey_id(def->id);
  s.set_customer_id(cmd.customer_id());
  s.set_stage(def->stage);
  s.set_title(def->title);
  s.set_status(v1::SURVEY_STATUS_OPEN);
  s.set_touchpoint_id(cmd.touchpoint_id());
  const TimePoint created = std::max(now, FromProto(cmd.requested_at()));
  *s.mutable_created_at() = ToProto(created);
  *s.mutable_expires_at() = ToProto(created + def->valid_for);
  for (const auto& q : def->questions) s.add_questions(q);
  return s;
}

}  // namespace mot::survey
