#include "survey/domain/erasure.h"

#include <algorithm>

namespace mot::survey {

v1::SurveyInstance EraseInstance(v1::SurveyInstance instance, TimePoint now) {
  if (!instance.link().empty()) instance.set_link(kErased);
  if (instance.status() == v1::SURVEY_STATUS_OPEN && now <= FromProto(instance.expires_at())) {
    instance.set_status(v1::SURVEY_STATUS_SUPPRESSED);
    instance.set_reason(kForgotten);
    *instance.mutable_withdrawn_at() = ToProto(now);
  }
  if (!instance.has_erased_at()) *instance.mutable_erased_at() = ToProto(now);
  return instance;
}

namespace {

// Whether `text` is one of the options of the choice question `id` of `def`.
bool IsOption(const SurveyDefinition* def, const std::string& id, const std::string& text) {
  if (def == nullptr) return false;
  for (const Question& q : def->questions) {
    if (q.id != id) continue;
    return q.kind == QuestionKind::kChoice &&
           std::find(q.options.begin(), q.options.end(), text) != q.options.end();
  }
  return false;
}

}  // namespace

v1::SurveyResponse EraseResponse(v1::SurveyResponse response, const SurveyDefinition* def) {
  for (auto& [id, answer] : *response.mutable_answers()) {
    if (!answer.text().empty() && !IsOption(def, id, answer.text())) answer.set_text(kErased);
  }
  return response;
}

}  // namespace mot::survey
