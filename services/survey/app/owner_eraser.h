#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/common/record_store.h"
#include "mot/survey/v1/survey.pb.h"
#include "survey/domain/catalogue.h"

namespace mot::survey {

// Forgets an owner in the survey's store (PIPL): each of their instances erased
// (erasure.h: its link, its response's free text), an open one withdrawn, the link's
// record removed (the page then answers the link as one nobody was given), each
// instance's records set to expire `retention` after their final state. The running
// scores are not touched. Safe to run again, and against an answer arriving at the
// same time (the instance is replaced only as it was read, so an answer either lands
// first and is erased, or finds the instance withdrawn).
class OwnerEraser {
 public:
  struct Parts {
    RecordStore& store;
    const SurveyCatalogue& catalogue;
    const Clock& clock;
    std::chrono::milliseconds retention;  // MOT_SURVEY_RETENTION
    size_t max_instances;                 // MOT_SURVEY_OWNER_SURVEYS_MAX
  };
  explicit OwnerEraser(Parts parts) : parts_(parts) {}
  // How many instances were erased now (not before).
  absl::StatusOr<int> Forget(const std::string& customer_id);

 private:
  // One instance (stored as `raw`): true when it was erased now.
  absl::StatusOr<bool> EraseOne(std::string raw, v1::SurveyInstance instance);
  // Its response's text erased, if it has one.
  absl::Status EraseResponseOf(const v1::SurveyInstance& instance);
  Parts parts_;
};

}  // namespace mot::survey
