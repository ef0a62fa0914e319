#pragma once

#include "mot/common/clock.h"
#include "mot/survey/v1/survey.pb.h"
#include "survey/domain/catalogue.h"

namespace mot::survey {

// What forgetting an owner (PIPL, customer_forgotten) leaves of their surveys: every
// free text and every way to open the owner's page replaced by kErased; the scores
// (numbers, stage, dimensions, detractor reasons) kept, so the running tallies they
// were counted into stay right. Both functions are idempotent.
inline constexpr char kErased[] = "[erased]";
// The reason an open survey withdrawn for a forgotten owner carries.
inline constexpr char kForgotten[] = "forgotten";

// The instance erased at `now`: its link erased; withdrawn (SUPPRESSED, reason
// kForgotten, withdrawn_at `now`) when the owner could still answer it (open and not
// expired at `now`); erased_at set, once.
v1::SurveyInstance EraseInstance(v1::SurveyInstance instance, TimePoint now);

// The response erased: the text of every answer, except a choice's option (the
// catalogue's words, not the owner's). `def` is the survey's definition; nullptr (no
// longer in the catalogue): every text is erased.
v1::SurveyResponse EraseResponse(v1::SurveyResponse response, const SurveyDefinition* def);

// Whether the instance's owner was forgotten.
inline bool IsErased(const v1::SurveyInstance& instance) { return instance.has_erased_at(); }

}  // namespace mot::survey
