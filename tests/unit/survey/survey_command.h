// A CreateSurveyCommand for the shipped catalogue's first prospect survey.
#pragma once

#include "mot/common/clock.h"
#include "mot/survey/v1/survey.pb.h"

namespace mot::survey {

inline v1::CreateSurveyCommand Command(TimePoint at) {
  v1::CreateSurveyCommand cmd;
  cmd.set_command_id("tp-9");
  cmd.set_touchpoint_id("tp-9");
  cmd.set_customer_id("C-1");
  cmd.set_survey_id("stage_satisfaction_prospect_1");
  *cmd.mutable_requested_at() = ToProto(at);
  return cmd;
}

}  // namespace mot::survey
