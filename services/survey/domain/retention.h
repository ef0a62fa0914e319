#pragma once

#include <chrono>

#include "mot/common/clock.h"
#include "mot/survey/v1/survey.pb.h"

namespace mot::survey {

// How long the survey keeps an owner's instance, its response and its link: for
// `retention` (MOT_SURVEY_RETENTION) after the instance's final state, then the store
// deletes them. The running scores are not personal and are kept.

// When the instance reached (or, open, will reach) its final state: answered
// (answered_at), withdrawn or not sent (withdrawn_at; created_at where it was not
// recorded), expired (expires_at).
TimePoint FinalAt(const v1::SurveyInstance& instance);

// FinalAt + retention.
TimePoint RetainedUntil(const v1::SurveyInstance& instance, std::chrono::milliseconds retention);

}  // namespace mot::survey
