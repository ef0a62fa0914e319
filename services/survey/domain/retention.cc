#include "survey/domain/retention.h"

namespace mot::survey {

TimePoint FinalAt(const v1::SurveyInstance& instance) {
  switch (instance.status()) {
    case v1::SURVEY_STATUS_COMPLETED:
      if (instance.has_answered_at()) return FromProto(instance.answered_at());
      break;
    case v1::SURVEY_STATUS_SUPPRESSED:
      return FromProto(instance.has_withdrawn_at() ? instance.withdrawn_at()
                                                   : instance.created_at());
    default:
      break;
  }
  return FromProto(instance.expires_at());
}

TimePoint RetainedUntil(const v1::SurveyInstance& instance, std::chrono::milliseconds retention) {
  return FinalAt(instance) + retention;
}

}  // namespace mot::survey
